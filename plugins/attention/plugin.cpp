// attention: bahdanau, luong, scaled_dot_product and multihead_attention,
// written only against the backend op set (backend "any"), so they run on
// every backend. Each returns its attention weights when the caller asks.
#include "loom/sdk/plugin.hpp"

#include "bahdanau.hpp"
#include "luong.hpp"
#include "multihead.hpp"
#include "scaled_dot_product.hpp"

LOOM_PLUGIN("attention", "0.1.0", "Loom project",
            LOOM_LAYER(loom::attention::Bahdanau),
            LOOM_LAYER(loom::attention::Luong),
            LOOM_LAYER(loom::attention::ScaledDotProduct),
            LOOM_LAYER(loom::attention::MultiheadAttention))
