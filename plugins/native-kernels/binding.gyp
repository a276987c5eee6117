{
  "targets": [
    {
      "target_name": "rlhf_native_kernels",
      "sources": ["native/addon.cc", "native/kernels.cc"],
      "include_dirs": [
        "/usr/include/x86_64-linux-gnu/openblas-pthread",
        "/usr/include/aarch64-linux-gnu/openblas-pthread",
        "/usr/include/openblas"
      ],
      "libraries": ["-lopenblas"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": [
        "-O3",
        "-march=<!(node -p \"process.env.RLHFJS_NATIVE_MARCH || 'native'\")",
        "-fno-math-errno",
        "-std=c++17"
      ],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
