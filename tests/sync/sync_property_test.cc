#include <rapidcheck/gtest.h>
