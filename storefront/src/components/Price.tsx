import type { Money } from '../api/types.js';
import { formatMoney } from '../money.js';

export function Price({ money, className }: { money: Money; className?: string }) {
  return <span className={className ?? 'price'}>{formatMoney(money)}</span>;
}
