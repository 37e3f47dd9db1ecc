/** True when `f` returns, false when it throws: for tables of what a parser accepts. */
export const ok = (f: () => unknown): boolean => {
  try {
    f();
    return true;
  } catch {
    return false;
  }
};
