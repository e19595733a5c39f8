/** Run names in MLflow's style (`adjective-animal-NNN`) for runs started without one. */
const ADJECTIVES = ['able', 'bold', 'brave', 'bright', 'calm', 'clever', 'crisp', 'eager', 'fair', 'gentle', 'glad', 'keen', 'lucky', 'merry', 'nimble', 'polite', 'proud', 'quick', 'quiet', 'sharp', 'shy', 'smooth', 'sunny', 'swift', 'tidy', 'vast', 'warm', 'wise'];
const ANIMALS = ['ant', 'bat', 'bear', 'bee', 'crab', 'crow', 'deer', 'dove', 'duck', 'eel', 'elk', 'finch', 'fox', 'frog', 'goat', 'hare', 'hawk', 'lark', 'lynx', 'mole', 'moth', 'newt', 'owl', 'seal', 'slug', 'snail', 'swan', 'toad', 'wolf', 'wren'];

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

export function generateRunName(): string {
  return `${pick(ADJECTIVES)}-${pick(ANIMALS)}-${Math.floor(Math.random() * 1000)}`;
}
