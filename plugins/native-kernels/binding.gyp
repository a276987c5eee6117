{
  "variables": {
    "have_openblas%": "<!(node scripts/find-openblas.js)"
  },
  "targets": [
    {
      "target_name": "rlhf_native_kernels",
      "sources": ["native/addon.cc", "native/kernels.cc", "native/gemm.cc", "native/pool.cc"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": [
        "-O3",
        "-march=<!(node -p \"process.env.RLHFJS_NATIVE_MARCH || 'native'\")",
        "-fno-math-errno",
        # lets GCC vectorize the branch-free exp/tanh loops (both sides of a select are computed, which
        # trapping math forbids); values are unchanged: no contraction or reassociation is allowed
        "-fno-trapping-math",
        "-std=c++17"
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-math-errno", "-fno-trapping-math"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++20", "/O2"] }
      },
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["have_openblas==1", {
          "defines": ["RLHF_HAVE_OPENBLAS"],
          "include_dirs": [
            "/usr/include/x86_64-linux-gnu/openblas-pthread",
            "/usr/include/aarch64-linux-gnu/openblas-pthread",
            "/usr/include/openblas"
          ],
          "libraries": ["-lopenblas"]
        }]
      ]
    }
  ]
}
