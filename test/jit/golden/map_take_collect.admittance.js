// chain_N_map_take_collect: map#2 >in admittance (shape N)
// slots:
//   s_1$0 = take#3 state
return function chain_N_map_take_collect($slots, n) {
  const s_1$0 = $slots[0];
  return Math.max(0, Math.min(n, Math.min(s_1$0.remaining, Math.max(0, Math.min(n, n)))));
};
//# sourceURL=pushback://chain/N/chain_N_map_take_collect.js
