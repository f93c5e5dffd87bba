using Strata.Engine;
using Strata.Graph;
using Strata.IO;
using Strata.Keys;
using Strata.Oci;

namespace Strata.Images;

/// <summary>
/// Finds the chain's OS image: the pinned image if it is local or can be pulled; otherwise an
/// equivalent built from the Debian archive with debootstrap, imported once and reused after.
/// </summary>
public sealed class BaseOsProvider(IEngine docker, Action<string> log)
{
    /// <summary>The local tag of the debootstrapped equivalent; its name carries a hash of the recipe.</summary>
    public static string FallbackTag(BaseOsSpec os)
    {
        using var key = new KeyBuilder().Add("base-os", BuildPlanner.DescribeBaseOs(os));
        return $"strata-base-os:{os.Debootstrap.Suite}-{os.Debootstrap.Variant}-{key.Finish()[..12]}";
    }

    /// <summary>Returns a local image reference usable in FROM.</summary>
    public async Task<string> EnsureAsync(BaseOsSpec os, CancellationToken ct = default)
    {
        var fallback = FallbackTag(os);
        if ((await docker.Images.InspectImagesAsync([os.Image], ct)).Count > 0) return os.Image;
        if ((await docker.Images.InspectImagesAsync([fallback], ct)).Count > 0) return fallback;

        log($"base OS {os.Image} is not available locally; pulling it");
        var (pulled, reason) = await docker.Images.TryPullAsync(ImageReference.Parse(os.Image), ct, line => log($"[pull] {line}"));
        if (pulled) return os.Image;

        log($"base OS could not be pulled ({reason}).");
        log($"Building an equivalent from the Debian archive instead: debootstrap --variant={os.Debootstrap.Variant} {os.Debootstrap.Suite} {os.Debootstrap.Mirror} (about 30 s; once, then reused as {fallback})");
        await DebootstrapAsync(os.Debootstrap, fallback, ct);
        return fallback;
    }

    private async Task DebootstrapAsync(DebootstrapSpec spec, string tag, CancellationToken ct)
    {
        if (Executables.Find("debootstrap", alsoIn: ["/usr/sbin", "/sbin"]) is not { } debootstrap)
            throw new EngineException(
                "The pinned base OS image cannot be pulled and debootstrap is not installed to build an equivalent. " +
                "Install it (Debian: apt-get install debootstrap) or load the pinned image with docker load.");
        if (Environment.UserName != "root")
            throw new EngineException("debootstrap needs root to build the base OS; run the build as root once (the result is reused), or load the pinned image with docker load.");

        var dir = Directory.CreateTempSubdirectory("strata-debootstrap-").FullName;
        try
        {
            var tail = new Queue<string>();
            void Show(string line)
            {
                tail.Enqueue(line);
                if (tail.Count > 15) tail.Dequeue();
                if (line.StartsWith("I: Retrieving", StringComparison.Ordinal) || line.StartsWith("I: Base system", StringComparison.Ordinal))
                    log("[debootstrap] " + line[3..]);
            }
            var exitCode = await ChildProcess.RunAsync(debootstrap, [$"--variant={spec.Variant}", spec.Suite, dir, spec.Mirror], Show, Show, ct);
            if (exitCode != 0)
                throw new EngineException($"debootstrap failed (exit {exitCode}):\n  " + string.Join("\n  ", tail));

            // Slim it like the official image: no package lists or caches in the base layer.
            foreach (var sub in new[] { "var/lib/apt/lists", "var/cache/apt/archives" })
            {
                var path = Path.Combine(dir, sub);
                if (!Directory.Exists(path)) continue;
                foreach (var f in Directory.EnumerateFiles(path)) File.Delete(f);
            }

            await docker.Images.ImportAsync(async (stdin, token) =>
            {
                // tar keeps devices, owners and modes exactly; .NET's TarFile does not handle device nodes.
                var errors = new Queue<string>();
                var tarExit = await ChildProcess.RunAsync("tar", ["--numeric-owner", "-C", dir, "-c", "."], null,
                    line => { errors.Enqueue(line); if (errors.Count > 15) errors.Dequeue(); }, token,
                    readStdout: (tar, t) => tar.CopyToAsync(stdin, t));
                if (tarExit != 0)
                    throw new EngineException($"tar of the debootstrapped tree failed (exit {tarExit}):\n  " + string.Join("\n  ", errors));
            }, ImageReference.Parse(tag), ct);
            log($"base OS ready: {tag}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
