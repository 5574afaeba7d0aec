// LOOM_API marks what libloom-core exports; everything else stays hidden.
#pragma once

#if defined(_WIN32)
#define LOOM_API __declspec(dllexport)
#else
#define LOOM_API __attribute__((visibility("default")))
#endif
