import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The outbox and inbox tables, as every subgraph's migration list includes
 * them. Frozen: a later change gets a new migration, never an edit here.
 */
export const createOutboxAndInboxV1: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('outbox')
      .addColumn('id', 'uuid', (col) => col.primaryKey())
      .addColumn('subject', 'text', (col) => col.notNull())
      .addColumn('envelope', 'jsonb', (col) => col.notNull())
      .addColumn('created_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('published_at', 'timestamptz')
      .addColumn('claimed_until', 'timestamptz')
      .addColumn('publish_attempts', 'integer', (col) => col.notNull().defaultTo(0))
      .execute();
    // The relay's scan: unpublished rows, oldest first.
    await db.schema
      .createIndex('outbox_unpublished')
      .on('outbox')
      .columns(['created_at', 'id'])
      .where(sql.ref('published_at'), 'is', null)
      .execute();
    await db.schema
      .createTable('inbox')
      .addColumn('consumer', 'text', (col) => col.notNull())
      .addColumn('event_id', 'uuid', (col) => col.notNull())
      .addColumn('processed_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint('inbox_pkey', ['consumer', 'event_id'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('inbox').execute();
    await db.schema.dropTable('outbox').execute();
  },
};

/**
 * Indexes for the retention job, which deletes published outbox rows and
 * inbox records past their retention: without them each pass scans the table.
 */
export const addOutboxAndInboxRetentionIndexesV2: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('outbox_published_at').on('outbox').column('published_at').where(sql.ref('published_at'), 'is not', null).execute();
    await db.schema.createIndex('inbox_processed_at').on('inbox').column('processed_at').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('inbox_processed_at').execute();
    await db.schema.dropIndex('outbox_published_at').execute();
  },
};
