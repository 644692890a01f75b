import type { E2eStack } from "./stack";
import type { E2eTarget } from "./target";

// What each group of cases gets from the suite.
export interface CaseContext {
  target: E2eTarget;
  // "[fake] <text>" or "[Outpost] <text>": every case's title names its target.
  title(text: string): string;
  stack(): E2eStack;
  // A case's key figures, printed under its title (docs/e2e.md records them per target).
  note(text: string): void;
}
