// Grouped-query attention whose 8 query heads of 80 lanes fill two tiles (2 kv heads): kv head 0's query heads (0-3)
// land in a's tile 0, kv head 1's (4-7) in tile 1; an output projection reads a.
export const GQA = `model gqa
input x: fp16[1, 1, 640]
param wq: fp16[640, 640]
param wk: fp16[640, 160]
param wv: fp16[640, 160]
param wo: fp16[640, 640]
state k_cache: fp16[1, 64, 2, 80]
state v_cache: fp16[1, 64, 2, 80]
q = reshape(matmul(x, wq), shape=[1, 1, 8, 80])
k = reshape(matmul(x, wk), shape=[1, 1, 2, 80])
v = reshape(matmul(x, wv), shape=[1, 1, 2, 80])
a = attention(q, k, v, k_cache, v_cache, causal=true)
output y = matmul(reshape(a, shape=[1, 1, 640]), wo)
`;
