// The translation unit that compiles the precompiled Eigen header for the targets that reuse it
// (namk_use_pch in the top CMakeLists.txt). It has nothing of its own to compile.
int main() { return 0; }
