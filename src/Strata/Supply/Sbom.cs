using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Oci;

namespace Strata.Supply;

/// <summary>A binary Strata downloaded and verified for the image, as tools.lock.json pins it.</summary>
public sealed record PinnedBinary(string Name, string Version, string Url, string Sha256);

/// <summary>Everything an SBOM states about one image manifest.</summary>
/// <param name="LockedPackages">The Debian packages packages.lock.json pins for the image and its ancestors on this platform.</param>
public sealed record SbomInput(ImageReference Image, string Key, Platform Platform, ImageContents Contents,
    IReadOnlyList<PinnedBinary> Binaries, ImageReference? Parent)
{
    public IReadOnlyDictionary<string, Packages.LockedPackage> LockedPackages { get; init; } = new Dictionary<string, Packages.LockedPackage>();
}

/// <summary>One component as an SBOM lists it (what verify and the release notes compare).</summary>
public sealed record SbomComponent(string Type, string Name, string Version, string Purl, string? Sha256);

/// <summary>
/// The SBOM as CycloneDX 1.5 JSON: the image (metadata.component, a container with its digest and key),
/// every Debian package, every npm package and every pinned binary (with its download URL and sha256),
/// and the parent image as the one component the image depends on besides its own contents; a purl for
/// each. CycloneDX because its hashes, external references and dependency graph say exactly what the
/// lock knows (URL and sha256 of a binary, the parent by digest) without extension, and because an
/// independent validator for it runs here. The same image always gives the same bytes (no timestamp;
/// the serial number derives from the digest), so an attach is idempotent.
/// </summary>
public static class Sbom
{
    public const string SpecVersion = "1.5";
    public const string KeyProperty = "dev.strata:key";
    private const string ImageRef = "image";
    private const string ParentRef = "parent";

    public static byte[] Write(SbomInput input)
    {
        var digest = input.Image.Digest ?? throw new ArgumentException("the SBOM describes a manifest: give the image by digest", nameof(input));
        var components = new JsonArray();
        var distro = input.Contents.Os is { } os ? $"{os.Id}-{os.VersionId}" : null;
        foreach (var p in input.Contents.DebianPackages)
        {
            var c = Component("library", p.Name, p.Version,
                $"pkg:deb/{input.Contents.Os?.Id ?? "debian"}/{Enc(p.Name)}@{Enc(p.Version)}?arch={Enc(p.Architecture)}" + (distro is null ? "" : $"&distro={Enc(distro)}"));
            // A package the lock pins carries the sha256 of its .deb (checked at install); the image must hold the locked version.
            if (input.LockedPackages.TryGetValue(p.Name, out var locked))
            {
                if (locked.Version != p.Version)
                    throw new InvalidOperationException(
                        $"{input.Image}: the image holds {p.Name} {p.Version}, but {Packages.PackageLock.DefaultFileName} pins {locked.Version}: " +
                        "it was not built from this lock. Rebuild it (its key tag names another build), and report this: a locked install installs the lock only.");
                c["hashes"] = new JsonArray(new JsonObject { ["alg"] = "SHA-256", ["content"] = locked.Sha256 });
                c["properties"] = new JsonArray(new JsonObject { ["name"] = "dev.strata:source", ["value"] = Packages.PackageLock.DefaultFileName });
            }
            components.Add(c);
        }
        foreach (var p in input.Contents.NpmPackages)
            components.Add(Component("library", p.Name, p.Version, NpmPurl(p.Name, p.Version)));
        foreach (var b in input.Binaries)
        {
            var c = Component("application", b.Name, b.Version,
                $"pkg:generic/{Enc(b.Name)}@{Enc(b.Version)}?checksum=sha256:{b.Sha256}&download_url={Enc(b.Url)}");
            c["hashes"] = new JsonArray(new JsonObject { ["alg"] = "SHA-256", ["content"] = b.Sha256 });
            c["externalReferences"] = new JsonArray(new JsonObject { ["type"] = "distribution", ["url"] = b.Url });
            c["properties"] = new JsonArray(new JsonObject { ["name"] = "dev.strata:source", ["value"] = "tools.lock.json" });
            components.Add(c);
        }
        var dependsOn = new JsonArray(components.Select(c => (JsonNode)JsonValue.Create(c!["bom-ref"]!.GetValue<string>())).ToArray());
        if (input.Parent is { } parent)
        {
            var p = Component("container", parent.Repository, parent.Digest ?? parent.TagOrLatest, OciPurl(parent));
            p["bom-ref"] = ParentRef;
            components.Add(p);
            dependsOn.Add(ParentRef);
        }
        var bom = new JsonObject
        {
            ["bomFormat"] = "CycloneDX",
            ["specVersion"] = SpecVersion,
            ["serialNumber"] = "urn:uuid:" + new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(digest + input.Key))[..16]),
            ["version"] = 1,
            ["metadata"] = new JsonObject
            {
                ["tools"] = new JsonObject { ["components"] = new JsonArray(new JsonObject
                {
                    ["type"] = "application", ["name"] = "strata", ["version"] = Smoke.SmokeProof.StrataVersion,
                }) },
                ["component"] = new JsonObject
                {
                    ["type"] = "container", ["bom-ref"] = ImageRef, ["name"] = input.Image.Repository, ["version"] = digest,
                    ["purl"] = OciPurl(input.Image),
                    ["properties"] = new JsonArray(
                        new JsonObject { ["name"] = KeyProperty, ["value"] = input.Key },
                        new JsonObject { ["name"] = "dev.strata:platform", ["value"] = input.Platform.ToString() }),
                },
            },
            ["components"] = components,
            ["dependencies"] = new JsonArray(new JsonObject { ["ref"] = ImageRef, ["dependsOn"] = dependsOn }),
        };
        return Encoding.UTF8.GetBytes(bom.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The components of a CycloneDX JSON document (the parent included, as type container).</summary>
    public static IReadOnlyList<SbomComponent> ReadComponents(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("components", out var list)) return [];
        return list.EnumerateArray().Select(c => new SbomComponent(
            Str(c, "type"), Str(c, "name"), Str(c, "version"), Str(c, "purl"),
            c.TryGetProperty("hashes", out var h) ? h.EnumerateArray().Where(x => Str(x, "alg") == "SHA-256").Select(x => Str(x, "content")).FirstOrDefault() : null))
            .ToList();
    }

    /// <summary>The content key the SBOM's image carries (metadata.component's property), or null.</summary>
    public static string? ReadKey(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("metadata", out var m) && m.TryGetProperty("component", out var c) && c.TryGetProperty("properties", out var ps)
            ? ps.EnumerateArray().Where(p => Str(p, "name") == KeyProperty).Select(p => Str(p, "value")).FirstOrDefault()
            : null;
    }

    private static string Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    private static JsonObject Component(string type, string name, string version, string purl) =>
        new() { ["type"] = type, ["bom-ref"] = purl, ["name"] = name, ["version"] = version, ["purl"] = purl };

    /// <summary>pkg:npm/%40scope/name@version (the scope is the purl namespace, its @ encoded).</summary>
    public static string NpmPurl(string name, string version) =>
        $"pkg:npm/{string.Join('/', name.Split('/').Select(Enc))}@{Enc(version)}";

    /// <summary>pkg:oci/NAME@sha256%3AHEX?repository_url=REGISTRY/PATH (the purl spec's form for an OCI image).</summary>
    public static string OciPurl(ImageReference image)
    {
        var name = image.Path[(image.Path.LastIndexOf('/') + 1)..];
        var version = image.Digest ?? image.TagOrLatest;
        return $"pkg:oci/{Enc(name)}@{Enc(version)}?repository_url={Enc($"{image.Registry}/{image.RemoteName}")}";
    }

    private static string Enc(string s) => Uri.EscapeDataString(s);
}
