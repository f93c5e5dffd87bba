using System.Security.Cryptography;
using Strata.Engine;
using Strata.IO;
using Strata.Images;
using Strata.Oci;
using Strata.Tests.Support;

namespace Strata.Tests.Smoke;

/// <summary>
/// An arm64 image that carries the repository's vault and what it needs, for the vault's arm64 path:
/// made by arm64-vault-root.sh from Debian's arm64 packages without emulation (seconds once its
/// packages are cached), imported once per content (the script and the vault program), labelled arm64, and kept in the engine.
/// Also the arm64 root of the platform tests (a FROM for builds under emulation).
/// </summary>
internal static class Arm64VaultImage
{
    private static string Script => Path.Combine(RepositoryRoot.Find(), "tests", "Strata.Tests", "Smoke", "arm64-vault-root.sh");
    public static async Task<ImageReference> GetAsync(IEngine engine, Action<string> log)
    {
        // The vault program for arm64, published ahead of time (NativeAOT, cross-linked here) as the pipeline does.
        var vault = await (VaultProgram.Find(RepositoryRoot.Find()) ?? throw new InvalidOperationException("no src/Strata.Vault"))
            .PublishAsync(Platform.LinuxArm64, Path.GetDirectoryName(VmKernels.Cache)!, log, CancellationToken.None);
        var content = Convert.ToHexStringLower(SHA256.HashData([.. File.ReadAllBytes(Script), .. File.ReadAllBytes(vault)]))[..12];
        var reference = ImageReference.Parse($"strata-test/arm64-vault:{content}");
        using var _ = await CrossProcessLock.AcquireAsync("arm64-vault-image");
        // An import from before imports were labelled with their platform says amd64: imported again.
        if (await engine.Images.PlatformOfAsync(reference) == Platform.LinuxArm64) return reference;

        var cache = Path.Combine(Path.GetDirectoryName(VmKernels.Cache)!, "test-fixtures", "arm64-vault");
        var tar = Path.Combine(Path.GetTempPath(), $"arm64-vault-{Guid.NewGuid():N}.tar");
        try
        {
            var exit = await ChildProcess.RunAsync(Script, ["--vault", vault, "--cache", cache, "--out", tar], log, log, CancellationToken.None);
            if (exit != 0) throw new InvalidOperationException($"arm64-vault-root.sh exited {exit} (its output is in the test log)");
            await engine.Images.ImportAsync(async (stdin, ct) =>
            {
                await using var file = File.OpenRead(tar);
                await file.CopyToAsync(stdin, ct);
            }, reference, Platform.LinuxArm64);
            return reference;
        }
        finally
        {
            File.Delete(tar);
        }
    }
}
