/**
 * Decorative QR-style pattern for the hero's till mock-up: drawn inline (no image requests) and
 * deterministic (same markup on server and client). It is not a scannable code.
 */
export function QrMotif({ size = 21, seed = 1042 }: { size?: number; seed?: number }) {
  let state = seed;
  const nextBit = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % 7 < 3;
  };
  const inFinder = (x: number, y: number) =>
    (x < 7 && y < 7) || (x >= size - 7 && y < 7) || (x < 7 && y >= size - 7);
  const cells: { x: number; y: number }[] = [];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (!inFinder(x, y) && nextBit()) cells.push({ x, y });
    }
  }
  const finders = [
    [0, 0],
    [size - 7, 0],
    [0, size - 7],
  ] as const;
  return (
    <svg viewBox={`0 0 ${size} ${size}`} className="size-full" role="img" aria-label="Payment QR code">
      {finders.map(([x, y]) => (
        <g key={`${x}-${y}`}>
          <rect x={x} y={y} width={7} height={7} fill="currentColor" />
          <rect x={x + 1} y={y + 1} width={5} height={5} fill="white" />
          <rect x={x + 2} y={y + 2} width={3} height={3} fill="currentColor" />
        </g>
      ))}
      {cells.map(({ x, y }) => (
        <rect key={`${x}-${y}`} x={x} y={y} width={1} height={1} fill="currentColor" />
      ))}
    </svg>
  );
}
