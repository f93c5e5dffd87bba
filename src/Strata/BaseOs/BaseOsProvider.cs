using Strata.Engine;
using Strata.Graph;
using Strata.IO;
using Strata.Keys;
using Strata.Oci;

namespace Strata.BaseOs;

/// <summary>
/// Finds the chain's OS image for one platform: the pinned image (an index: the engine resolves it to its own
/// platform's manifest) if it is local and of that platform or can be pulled; otherwise an equivalent built from
/// the Debian archive with debootstrap (<c>--arch</c> of the platform), imported once, labelled with its platform
/// and reused after.
/// </summary>
/// <param name="enginePlatform">The engine's own platform: only an image of it is pulled (an index resolves to the engine's platform).</param>
public sealed class BaseOsProvider(IImageStore images, Func<CancellationToken, Task<Platform>> enginePlatform, Action<string> log)
{
    /// <summary>The local tag of the debootstrapped equivalent for a platform; its name carries the architecture and a hash of the recipe.</summary>
    public static ImageReference FallbackTag(BaseOsSpec os, Platform platform)
    {
        using var key = new KeyBuilder().Add("base-os", os.Describe());
        return ImageReference.Parse($"strata-base-os:{os.Debootstrap.Suite}-{os.Debootstrap.Variant}-{platform.Architecture}-{key.Finish()[..12]}");
    }

    /// <summary>Returns a local image reference of <paramref name="platform"/> usable in FROM.</summary>
    public async Task<ImageReference> EnsureAsync(BaseOsSpec os, Platform platform, CancellationToken ct = default)
    {
        var fallback = FallbackTag(os, platform);
        // The pinned digest names an index: a local copy is the platform of whoever pulled it.
        if (await images.PlatformOfAsync(os.Image, ct) == platform) return os.Image;
        if (await images.PlatformOfAsync(fallback, ct) == platform) return fallback;

        if (platform == await enginePlatform(ct))
        {
            log($"base OS {os.Image} is not available locally; pulling it");
            var (pulled, reason) = await images.TryPullAsync(os.Image, ct, line => log($"[pull] {line}"));
            if (pulled && await images.PlatformOfAsync(os.Image, ct) == platform) return os.Image;
            log($"base OS could not be pulled ({reason}).");
        }
        log($"Building an equivalent from the Debian archive instead: debootstrap --arch={Debian(platform)} --variant={os.Debootstrap.Variant} " +
            $"{os.Debootstrap.Suite} {os.Debootstrap.Mirror} (about 30 s natively, 2 min emulated; once, then reused as {fallback})");
        await DebootstrapAsync(os.Debootstrap, platform, fallback, ct);
        return fallback;
    }

    /// <summary>Debian's name of the architecture (debootstrap --arch).</summary>
    private static string Debian(Platform platform) => platform.Architecture switch
    {
        "arm" => platform.Variant is "v7" or null ? "armhf" : "armel",
        "386" => "i386",
        var arch => arch,
    };

    private async Task DebootstrapAsync(DebootstrapSpec spec, Platform platform, ImageReference tag, CancellationToken ct)
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
            var exitCode = await ChildProcess.RunAsync(debootstrap,
                [$"--arch={Debian(platform)}", $"--variant={spec.Variant}", spec.Suite, dir, spec.Mirror], Show, Show, ct);
            if (exitCode != 0)
                throw new EngineException($"debootstrap failed (exit {exitCode}):\n  " + string.Join("\n  ", tail));

            // Slim it like the official image: no package lists or caches in the base layer.
            foreach (var sub in new[] { "var/lib/apt/lists", "var/cache/apt/archives" })
            {
                var path = Path.Combine(dir, sub);
                if (!Directory.Exists(path)) continue;
                foreach (var f in Directory.EnumerateFiles(path)) File.Delete(f);
            }

            await images.ImportAsync(async (stdin, token) =>
            {
                // tar keeps devices, owners and modes exactly; .NET's TarFile does not handle device nodes.
                var errors = new Queue<string>();
                var tarExit = await ChildProcess.RunAsync("tar", ["--numeric-owner", "-C", dir, "-c", "."], null,
                    line => { errors.Enqueue(line); if (errors.Count > 15) errors.Dequeue(); }, token,
                    readStdout: (tar, t) => tar.CopyToAsync(stdin, t));
                if (tarExit != 0)
                    throw new EngineException($"tar of the debootstrapped tree failed (exit {tarExit}):\n  " + string.Join("\n  ", errors));
            }, tag, platform, ct);
            log($"base OS ready: {tag}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
