// recurrent: rnn, lstm and gru, written only against the backend op set
// (backend "any"), so they run on every backend that has rnn_pack/rnn_forward.
#include "loom/sdk/plugin.hpp"

#include "recurrent_layer.hpp"

LOOM_PLUGIN("recurrent", "0.1.0", "Loom project",
            LOOM_LAYER(loom::recurrent::Rnn),
            LOOM_LAYER(loom::recurrent::Lstm),
            LOOM_LAYER(loom::recurrent::Gru))
