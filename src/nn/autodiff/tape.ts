/**
 * A small reverse-mode automatic differentiation tape over float64 arrays: the tensor/gradient
 * interface that training and causal pruning are written against.
 *
 * Why not a framework: the models trained here are tiny (d = 16, a few thousand parameters), so
 * per-op dispatch cost dominates; plain monomorphic loops over Float64Array are faster than wasm
 * dispatch for them, need no reference counting, and give bit-identical results run to run.
 *
 * A `Node` holds a value, its shape, and (once backward has reached it) a gradient. Ops (ops.ts)
 * record a closure on the tape that adds the node's gradient into its inputs' gradients;
 * `backward` runs the closures in reverse order.
 */
import { at } from '../../util/at.js';
export interface Node {
  readonly value: Float64Array;
  readonly shape: readonly number[];
  /** Accumulated d(loss)/d(value); allocated on first use. */
  grad: Float64Array | undefined;
  /** Whether a gradient flows to this node (parameters and everything computed from them). */
  readonly needsGrad: boolean;
}

export class Tape {
  private readonly steps: (() => void)[] = [];

  /** A trainable leaf: gradients reach it. The value array is shared, not copied. */
  param(value: Float64Array, shape: readonly number[]): Node {
    return { value, shape, grad: undefined, needsGrad: true };
  }

  /** A leaf no gradient reaches. */
  constant(value: Float64Array, shape: readonly number[]): Node {
    return { value, shape, grad: undefined, needsGrad: false };
  }

  /** A node computed from `inputs`; `backward` (called when it needs a gradient) propagates into them. */
  record(value: Float64Array, shape: readonly number[], inputs: readonly Node[], backward: (grad: Float64Array) => void): Node {
    const needsGrad = inputs.some((n) => n.needsGrad);
    const node: Node = { value, shape, grad: undefined, needsGrad };
    if (needsGrad) {
      this.steps.push(() => {
        if (node.grad !== undefined) backward(node.grad);
      });
    }
    return node;
  }

  /** Seeds d(loss)/d(loss) = 1 at the scalar `loss` and runs the tape backwards. */
  backward(loss: Node): void {
    if (loss.value.length !== 1) throw new Error(`backward from a non-scalar (shape ${loss.shape.join('×')})`);
    const seed = gradOf(loss);
    seed[0] = at(seed, 0) + 1;
    for (const step of [...this.steps].reverse()) step();
  }
}

/** The node's gradient array, allocated (zeroed) on first use. */
export const gradOf = (node: Node): Float64Array => {
  if (node.grad === undefined) node.grad = new Float64Array(node.value.length);
  return node.grad;
};

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The rows of a [rows, cols] node. */
export const rowsOf = (n: Node): number => at(n.shape, 0);
/** The columns of a [rows, cols] node. */
export const colsOf = (n: Node): number => at(n.shape, 1);
