const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

export function formatCents(cents: number): string {
  return usd.format(cents / 100);
}

/** What a plan costs this organization: per seat and for the month, from the seat count. */
export function quote(pricePerSeatCents: number, seats: number): { perSeat: string; monthly: string; seatsText: string } {
  const billable = Math.max(0, Math.floor(seats));
  return {
    perSeat: formatCents(pricePerSeatCents),
    monthly: formatCents(pricePerSeatCents * billable),
    seatsText: `${billable} seat${billable === 1 ? '' : 's'}`,
  };
}
