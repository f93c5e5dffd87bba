using System.Text;
using System.Text.Json;
using Strata.Downloads;
using Strata.IO;
using static Strata.IO.StrictJson;
using Strata.Oci;

namespace Strata.Packages;

/// <summary>One Debian package as the lock pins it: the exact version, its architecture and the archive's sha256 of the .deb.</summary>
public sealed record LockedPackage(string Version, string Architecture, string Sha256)
{
    public override string ToString() => $"{Version} {Architecture} {Sha256}";
}

/// <summary>
/// What one image installs from the archive on one platform: the packages its Dockerfile names (<see cref="Requested"/>,
/// so a Dockerfile edited since the pin is caught before any build) and every package that install brings in that its
/// ancestors do not already have (what apt pulls in included), by version and sha256.
/// </summary>
public sealed record ImagePackages(IReadOnlyList<string> Requested, IReadOnlyDictionary<string, LockedPackage> Packages)
{
    public bool SameAs(ImagePackages other) =>
        Requested.SequenceEqual(other.Requested) &&
        Packages.Count == other.Packages.Count && Packages.All(p => other.Packages.TryGetValue(p.Key, out var o) && o == p.Value);
}

/// <summary>What one platform's images install from the Debian archive, per image that installs any.</summary>
/// <param name="Resolved">When the archive was read (UTC, snapshot.debian.org's id form: 20261207T184000Z): which snapshot holds these versions.</param>
public sealed record PlatformPackages(string Resolved, IReadOnlyDictionary<string, ImagePackages> Images)
{
    /// <summary>Same packages, whenever they were resolved.</summary>
    public bool SameAs(PlatformPackages other) =>
        Images.Count == other.Images.Count && Images.All(i => other.Images.TryGetValue(i.Key, out var o) && i.Value.SameAs(o));
}

/// <summary>One package whose lock entry differs between two locks: added (no old), removed (no new) or changed.</summary>
public sealed record PackageChange(Platform Platform, string Image, string Package, LockedPackage? Old, LockedPackage? Now);

/// <summary>
/// packages.lock.json: every Debian package each image installs, per platform, by exact version and sha256, beside
/// tools.lock.json (a sibling, not the same file: it is resolved from the Debian archive through the engine, not from
/// GitHub, and each file keeps one resolver and one reader). Formatting is deterministic (sorted, 2-space indent,
/// "\n", a trailing newline) so a bump is a minimal diff; saving is atomic.
/// </summary>
public sealed class PackageLock
{
    public const string DefaultFileName = "packages.lock.json";
    public const int FormatVersion = 1;

    public PackageLock(IReadOnlyDictionary<Platform, PlatformPackages> platforms)
    {
        Platforms = platforms.OrderBy(p => p.Key.ToString(), StringComparer.Ordinal).ToDictionary();
    }

    public static PackageLock Empty { get; } = new(new Dictionary<Platform, PlatformPackages>());

    public IReadOnlyDictionary<Platform, PlatformPackages> Platforms { get; }

    /// <summary>What an image installs on a platform, or null when the lock has no entry for it.</summary>
    public ImagePackages? For(Platform platform, string image) =>
        Platforms.TryGetValue(platform, out var packages) ? packages.Images.GetValueOrDefault(image) : null;

    /// <summary>This lock with one platform's packages replaced (the others kept as they are).</summary>
    public PackageLock With(Platform platform, PlatformPackages packages)
    {
        var platforms = Platforms.ToDictionary();
        platforms[platform] = packages;
        return new PackageLock(platforms);
    }

    /// <summary>Every package entry that differs, platform, image and package in order.</summary>
    public static IReadOnlyList<PackageChange> Changes(PackageLock before, PackageLock after)
    {
        var changes = new List<PackageChange>();
        foreach (var platform in before.Platforms.Keys.Union(after.Platforms.Keys).OrderBy(p => p.ToString(), StringComparer.Ordinal))
        {
            var old = before.Platforms.GetValueOrDefault(platform);
            var now = after.Platforms.GetValueOrDefault(platform);
            var images = (old?.Images.Keys ?? []).Union(now?.Images.Keys ?? []).Order(StringComparer.Ordinal);
            foreach (var image in images)
            {
                var o = old?.Images.GetValueOrDefault(image)?.Packages ?? new Dictionary<string, LockedPackage>();
                var n = now?.Images.GetValueOrDefault(image)?.Packages ?? new Dictionary<string, LockedPackage>();
                foreach (var name in o.Keys.Union(n.Keys).Order(StringComparer.Ordinal))
                {
                    var was = o.GetValueOrDefault(name);
                    var becomes = n.GetValueOrDefault(name);
                    if (was != becomes) changes.Add(new PackageChange(platform, image, name, was, becomes));
                }
            }
        }
        return changes;
    }

    /// <summary>Loads the lock; a missing file is an empty lock (a chain that installs no package needs none).</summary>
    public static PackageLock Load(string path) =>
        File.Exists(path) ? Parse(File.ReadAllText(path), Path.GetFileName(path)) : Empty;

    public static PackageLock Parse(string json, string fileName = DefaultFileName)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new StrataConfigException($"{fileName}: line {(e.LineNumber ?? 0) + 1}: not valid JSON: {e.Message}");
        }
        using (document)
        {
            var root = Object(document.RootElement, fileName, "the top level");
            CheckKeys(root, fileName, "the top level", "version", "platforms");
            if (!root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.Number || v.GetInt32() != FormatVersion)
                throw new StrataConfigException($"{fileName}: the top level must have \"version\": {FormatVersion}.");
            var platforms = new Dictionary<Platform, PlatformPackages>();
            if (root.TryGetProperty("platforms", out var platformsElement))
                foreach (var property in Object(platformsElement, fileName, "\"platforms\"").EnumerateObject())
                {
                    Platform platform;
                    try
                    {
                        platform = Platform.Parse(property.Name);
                    }
                    catch (FormatException e)
                    {
                        throw new StrataConfigException($"{fileName}: \"platforms\": {e.Message}");
                    }
                    platforms[platform] = ReadPlatform(property.Value, fileName, $"platform {platform}");
                }
            return new PackageLock(platforms);
        }
    }

    private static PlatformPackages ReadPlatform(JsonElement element, string file, string where)
    {
        Object(element, file, where);
        CheckKeys(element, file, where, "resolved", "images");
        var images = new Dictionary<string, ImagePackages>();
        if (element.TryGetProperty("images", out var imagesElement))
            foreach (var image in Object(imagesElement, file, $"{where} images").EnumerateObject())
            {
                var imageWhere = $"{where} image '{image.Name}'";
                Object(image.Value, file, imageWhere);
                CheckKeys(image.Value, file, imageWhere, "requested", "packages");
                if (!image.Value.TryGetProperty("requested", out var requestedElement) || requestedElement.ValueKind != JsonValueKind.Array ||
                    requestedElement.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String))
                    throw new StrataConfigException($"{file}: {imageWhere} must have \"requested\": a list of the package names its Dockerfile installs.");
                var packages = new Dictionary<string, LockedPackage>();
                if (image.Value.TryGetProperty("packages", out var packagesElement))
                    foreach (var package in Object(packagesElement, file, $"{imageWhere} packages").EnumerateObject())
                    {
                        var at = $"{imageWhere} package '{package.Name}'";
                        Object(package.Value, file, at);
                        CheckKeys(package.Value, file, at, "version", "architecture", "sha256");
                        var sha = String(package.Value, "sha256", file, at);
                        if (!Sha256Hex.IsValid(sha))
                            throw new StrataConfigException($"{file}: {at}: sha256 '{sha}' is not 64 lower-case hex digits.");
                        packages[package.Name] = new LockedPackage(String(package.Value, "version", file, at), String(package.Value, "architecture", file, at), sha);
                    }
                images[image.Name] = new ImagePackages(requestedElement.EnumerateArray().Select(r => r.GetString()!).ToList(), packages);
            }
        return new PlatformPackages(String(element, "resolved", file, where), images);
    }

    /// <summary>Writes the lock atomically: a failure leaves the previous file untouched.</summary>
    public void Save(string path) => AtomicFile.Write(path, WriteTo);

    public string ToJson()
    {
        using var stream = new MemoryStream();
        WriteTo(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private void WriteTo(Stream stream)
    {
        using (var writer = new Utf8JsonWriter(stream, StrictJson.LockWriter))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", FormatVersion);
            writer.WriteStartObject("platforms");
            foreach (var (platform, packages) in Platforms)
            {
                writer.WriteStartObject(platform.ToString());
                writer.WriteString("resolved", packages.Resolved);
                writer.WriteStartObject("images");
                foreach (var (image, entries) in packages.Images.OrderBy(i => i.Key, StringComparer.Ordinal))
                {
                    writer.WriteStartObject(image);
                    writer.WriteStartArray("requested");
                    foreach (var name in entries.Requested) writer.WriteStringValue(name);
                    writer.WriteEndArray();
                    writer.WriteStartObject("packages");
                    foreach (var (name, package) in entries.Packages.OrderBy(p => p.Key, StringComparer.Ordinal))
                    {
                        // Checked while writing, so that a bad entry fails the save before the move.
                        if (!Sha256Hex.IsValid(package.Sha256))
                            throw new InvalidOperationException($"{platform} image '{image}' package '{name}': sha256 '{package.Sha256}' is not 64 lower-case hex digits.");
                        writer.WriteStartObject(name);
                        writer.WriteString("version", package.Version);
                        writer.WriteString("architecture", package.Architecture);
                        writer.WriteString("sha256", package.Sha256);
                        writer.WriteEndObject();
                    }
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                }
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
    }
}
