// transformer: encoder/decoder layers and stacks mirroring torch.nn, the full
// transformer, positional encodings and token embeddings, written only
// against the backend op set (backend "any"), so they run on every backend.
#include "loom/sdk/plugin.hpp"

#include "positional.hpp"
#include "stacks.hpp"

LOOM_PLUGIN("transformer", "0.1.0", "Loom project",
            LOOM_LAYER(loom::transformer::TransformerEncoderLayer),
            LOOM_LAYER(loom::transformer::TransformerDecoderLayer),
            LOOM_LAYER(loom::transformer::TransformerEncoder),
            LOOM_LAYER(loom::transformer::TransformerDecoder),
            LOOM_LAYER(loom::transformer::Transformer),
            LOOM_LAYER(loom::transformer::PositionalEncoding),
            LOOM_LAYER(loom::transformer::LearnedPositionalEmbedding),
            LOOM_LAYER(loom::transformer::TokenEmbedding))
