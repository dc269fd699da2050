// A mixture-of-experts layer: `e` experts of gate, up (d x ff) and down (ff x d), a router choosing 2 a token, over
// `t` tokens, in fp16.
export function moeModel(o: {
  readonly t: number;
  readonly d: number;
  readonly ff: number;
  readonly e: number;
}): string {
  return `model m
const t = ${o.t}
const d = ${o.d}
const ff = ${o.ff}
const e = ${o.e}
input x: fp16[1, t, d]
param router: fp16[d, e]
param g: fp16[e, d, ff]
param u: fp16[e, d, ff]
param dn: fp16[e, ff, d]
s, i = topk(matmul(x, router), k=2)
output y = moe(x, softmax(s), i, g, u, dn)
`;
}
