# Turns data/register.yaml into a C source file holding it as a string, so
# that `rsgate risk report` works with no --register. Run at build time:
#   cmake -DIN=data/register.yaml -DOUT=build/risk-register-data.c -P THIS
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUT}.tmp"
"/* Generated from data/register.yaml by cmake/embed-register.cmake. */\n"
"#include \"rsgate/risk.h\"\n\n"
"static const char register_text[] = {\n${bytes}0x00\n};\n\n"
"const char *\nrisk_builtin_register(void)\n{\n\treturn register_text;\n}\n")
file(RENAME "${OUT}.tmp" "${OUT}")
