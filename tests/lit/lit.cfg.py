# lit configuration of popt's FileCheck tests: dialect round trips and
# verifier errors (.mlir), importer output per op family (.test).
import os
import shutil

import lit.formats

config.name = "popt"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(os.path.dirname(config.popt_models_dir), "tests", "lit-out")
config.excludes = ["lit.cfg.py", "lit.site.cfg.py.in"]

for d in (config.popt_tools_dir, config.llvm_tools_dir):
    config.environment["PATH"] = d + os.pathsep + config.environment.get("PATH", "")
config.substitutions.append(("%models", config.popt_models_dir))
config.substitutions.append(
    ("%expect-exit", "/usr/bin/python3 " + os.path.join(config.test_source_root, "expect_exit.py")))
config.substitutions.append(("%targets", os.path.join(config.popt_source_dir, "targets")))
# The CUDA driver on the host emulation of CUDA (tests/cuda_emulation).
config.substitutions.append(
    ("%cuda-emulated", os.path.join(os.path.dirname(config.popt_tools_dir), "lib", "libpopt_cuda_emulated.so")))
# The same with popt's own .cu kernels on a host model of CUDA's threads
# (tests/cuda_simt).
config.substitutions.append(
    ("%cuda-simt", os.path.join(os.path.dirname(config.popt_tools_dir), "lib", "libpopt_cuda_simt.so")))
if os.path.exists(os.path.join(os.path.dirname(config.popt_tools_dir), "lib", "libpopt_cuda_emulated.so")):
    config.available_features.add("cuda-emulation")
# Node.js runs the script of popt-report's HTML page against a stand-in
# DOM (tests/lit/monitor/report-script.test); Debian's nodejs, optional.
if shutil.which("node"):
    config.available_features.add("node")
