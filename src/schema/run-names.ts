/**
 * Run names in MLflow's generator style for runs started without one
 * (mlflow/utils/name_utils.py `_generate_random_name`, which MLflow's server
 * and client use): `adjective-noun-N`, lower case, N from 0 to 1000
 * inclusive, at most 20 characters. The words are our own short lists.
 */
const ADJECTIVES = [
  'able',
  'bold',
  'brave',
  'bright',
  'calm',
  'clever',
  'crisp',
  'eager',
  'fair',
  'gentle',
  'glad',
  'keen',
  'lucky',
  'merry',
  'nimble',
  'polite',
  'proud',
  'quick',
  'quiet',
  'sharp',
  'shy',
  'smooth',
  'sunny',
  'swift',
  'tidy',
  'vast',
  'warm',
  'wise',
];
const ANIMALS = [
  'ant',
  'bat',
  'bear',
  'bee',
  'crab',
  'crow',
  'deer',
  'dove',
  'duck',
  'eel',
  'elk',
  'finch',
  'fox',
  'frog',
  'goat',
  'hare',
  'hawk',
  'lark',
  'lynx',
  'mole',
  'moth',
  'newt',
  'owl',
  'seal',
  'slug',
  'snail',
  'swan',
  'toad',
  'wolf',
  'wren',
];

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

const MAX_LENGTH = 20;

export function generateRunName(): string {
  const name = `${pick(ADJECTIVES)}-${pick(ANIMALS)}-${Math.floor(Math.random() * 1001)}`;
  return name.slice(0, MAX_LENGTH); // never cut: the longest words make 17 characters
}
