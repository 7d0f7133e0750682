/** Looking a tensor up by name and shape, with a message that says what the file holds instead. */
import * as Either from 'fp-ts/lib/Either.js';
import { diagnostic, type Diagnostic } from '../../diagnostics.js';
import { showShape, type Tensor } from './format.js';

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** The tensor `name` with shape `shape`; Left naming the tensor when it is missing or shaped otherwise. */
export const expectTensor = (
  tensors: ReadonlyMap<string, Tensor>,
  name: string,
  shape: readonly number[],
  source: string,
): Either.Either<Diagnostic[], Tensor> => {
  const t = tensors.get(name);
  if (t === undefined) {
    const names = [...tensors.keys()].sort();
    const shown = names.slice(0, 8).map((n) => JSON.stringify(n));
    const more = names.length > 8 ? ` and ${names.length - 8} more` : '';
    return Either.left([
      diagnostic('safetensors/missing-tensor', `${source} has no tensor ${JSON.stringify(name)} (expected shape ${showShape(shape)})`, {
        fix: names.length === 0 ? 'the file holds no tensors' : `it holds ${shown.join(', ')}${more}`,
      }),
    ]);
  }
  if (!sameShape(t.shape, shape)) {
    const transposed = t.shape.length === 2 && shape.length === 2 && t.shape[0] === shape[1] && t.shape[1] === shape[0];
    return Either.left([
      diagnostic('safetensors/shape-mismatch', `tensor ${JSON.stringify(name)} in ${source} has shape ${showShape(t.shape)}, expected ${showShape(shape)}`, {
        fix: transposed
          ? 'it looks transposed (PyTorch nn.Linear stores weights as [out, in]): transpose it when saving or loading'
          : 'the file was saved for a different model configuration',
      }),
    ]);
  }
  return Either.right(t);
};
