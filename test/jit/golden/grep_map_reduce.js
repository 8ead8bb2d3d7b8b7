// chain_N_grep_map_reduce: from#1 out> flow (shape N)
// slots:
//   p_1$0 = grep#2 parameter p
//   f_2$1 = map#3 parameter f
//   s_3$2 = reduce#4 state
//   retype$3 = runtime re-specialise this entry
//   f_3$4 = reduce#4 parameter f
return function chain_N_grep_map_reduce($slots, xs, offset, n) {
  const p_1$0 = $slots[0];
  const f_2$1 = $slots[1];
  const s_3$2 = $slots[2];
  const retype$3 = $slots[3];
  const f_3$4 = $slots[4];
  let start = offset, end = offset + n;
  const acc_3$in = s_3$2.acc;
  if (typeof acc_3$in !== "number") return retype$3(xs, offset, n);
  let acc_3 = +acc_3$in;
  try {
    for (let i0 = start; i0 < end; i0++) {
      const x1 = xs[i0];
      if (p_1$0(x1)) {
        const x2 = x1;
        {
          const x3 = f_2$1(x2);
          acc_3 = f_3$4(acc_3, x3);
        }
      }
    }
  } finally {
    s_3$2.acc = acc_3;
  }
  return n;
};
//# sourceURL=pushback://chain/N/chain_N_grep_map_reduce.js
