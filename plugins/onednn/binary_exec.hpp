// The cached binary primitive, shared by binary and softmax (mask add).
#pragma once

#include "memory_desc.hpp"
#include "op_context.hpp"

namespace loom::onednn {

// dst = src0 alg src1 (src1 may broadcast: size-1 dims); negate appends an
// eltwise linear(-1) post-op.
void run_binary(OpContext& ctx, dnnl::algorithm alg, bool negate, const Layout& l0, const void* src0,
                const Layout& l1, const void* src1, const Layout& ld, void* dst);

}  // namespace loom::onednn
