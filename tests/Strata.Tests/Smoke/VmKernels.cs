namespace Strata.Tests.Smoke;

/// <summary>The VM runtime's guest kernels for the tests: one cache for the whole run (fetched once from Debian's archive).</summary>
internal static class VmKernels
{
    public static string Cache => global::Strata.Smoke.VaultRun.DefaultKernelCache();
}
