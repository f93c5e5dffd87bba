using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Oci;

namespace Strata.Supply;

/// <summary>Who built: the GitHub Actions run when the GITHUB_* variables say so, else this host.</summary>
public sealed record BuilderIdentity(string Id, string? InvocationId)
{
    public static BuilderIdentity FromEnvironment(Func<string, string?> env)
    {
        if (env("GITHUB_ACTIONS") == "true" && env("GITHUB_REPOSITORY") is { Length: > 0 } repository && env("GITHUB_RUN_ID") is { Length: > 0 } run)
        {
            var server = env("GITHUB_SERVER_URL") is { Length: > 0 } s ? s : "https://github.com";
            var runUrl = $"{server}/{repository}/actions/runs/{run}";
            // The workflow file at its ref is the builder; the run (and attempt) is this invocation.
            var id = env("GITHUB_WORKFLOW_REF") is { Length: > 0 } workflow ? $"{server}/{workflow}" : runUrl;
            return new BuilderIdentity(id, runUrl + (env("GITHUB_RUN_ATTEMPT") is { Length: > 0 } a ? $"/attempts/{a}" : ""));
        }
        return new BuilderIdentity($"urn:strata:host:{Environment.MachineName}", null);
    }
}

/// <summary>What the provenance of one image manifest states.</summary>
public sealed record ProvenanceInput(
    ImageReference Image, string Key, string Target, Platform Platform, string Builder, BuilderIdentity BuiltBy,
    string? Commit, ImageReference BaseOs, ImageReference? Parent, IReadOnlyList<PinnedBinary> Binaries,
    IReadOnlyDictionary<string, string> NpmPins, string? DotfilesHash)
{
    /// <summary>The image is normalised and how to check it (issue 31); null: built as the builder made it.</summary>
    public Reproducible.ReproducibleClaim? Reproducible { get; init; }
}

/// <summary>What verify reads back from a provenance statement.</summary>
public sealed record ProvenanceClaims(string SubjectDigest, string? Key);

/// <summary>
/// The provenance as an in-toto v1 statement with an SLSA provenance v1 predicate: subject the image
/// manifest digest; external parameters the target, platform and builder; the content key as an
/// internal parameter; resolved dependencies the commit, the base OS digest, the parent digest, the lock
/// entries used and the dotfiles hash; the builder identity. Deterministic bytes for the same inputs.
/// </summary>
public static class Provenance
{
    public const string StatementType = "https://in-toto.io/Statement/v1";
    public const string PredicateType = "https://slsa.dev/provenance/v1";
    public const string BuildType = "https://github.com/strata/strata/buildtypes/image-chain/v1";

    public static byte[] Write(ProvenanceInput input)
    {
        var digest = input.Image.Digest ?? throw new ArgumentException("provenance names a manifest: give the image by digest", nameof(input));
        var deps = new JsonArray();
        if (input.Commit is { } commit) deps.Add(new JsonObject { ["name"] = "source", ["uri"] = "git+commit:" + commit, ["digest"] = new JsonObject { ["gitCommit"] = commit } });
        deps.Add(Image("base-os", input.BaseOs));
        if (input.Parent is { } parent) deps.Add(Image("parent", parent));
        foreach (var b in input.Binaries)
            deps.Add(new JsonObject
            {
                ["name"] = $"tools.lock.json:{b.Name}@{b.Version}", ["uri"] = b.Url, ["digest"] = new JsonObject { ["sha256"] = b.Sha256 },
            });
        foreach (var (name, version) in input.NpmPins.OrderBy(p => p.Key, StringComparer.Ordinal))
            deps.Add(new JsonObject { ["name"] = $"tools.lock.json:{name}@{version}", ["uri"] = Sbom.NpmPurl(name, version) });
        if (input.DotfilesHash is { } dotfiles)
            deps.Add(new JsonObject { ["name"] = "dotfiles", ["digest"] = new JsonObject { ["sha256"] = dotfiles } });

        var statement = new JsonObject
        {
            ["_type"] = StatementType,
            ["subject"] = new JsonArray(new JsonObject { ["name"] = input.Image.Repository, ["digest"] = new JsonObject { ["sha256"] = Hex(digest) } }),
            ["predicateType"] = PredicateType,
            ["predicate"] = new JsonObject
            {
                ["buildDefinition"] = new JsonObject
                {
                    ["buildType"] = BuildType,
                    ["externalParameters"] = new JsonObject
                    {
                        ["target"] = input.Target, ["platform"] = input.Platform.ToString(), ["builder"] = input.Builder,
                    },
                    ["internalParameters"] = input.Reproducible is { } reproducible
                        ? new JsonObject
                        {
                            ["contentKey"] = input.Key,
                            ["reproducible"] = new JsonObject
                            {
                                ["epoch"] = reproducible.Epoch, ["check"] = reproducible.Check, ["compression"] = reproducible.Compression,
                            },
                        }
                        : new JsonObject { ["contentKey"] = input.Key },
                    ["resolvedDependencies"] = deps,
                },
                ["runDetails"] = new JsonObject
                {
                    ["builder"] = new JsonObject { ["id"] = input.BuiltBy.Id, ["version"] = new JsonObject { ["strata"] = Smoke.SmokeProof.StrataVersion } },
                    ["metadata"] = input.BuiltBy.InvocationId is { } run ? new JsonObject { ["invocationId"] = run } : new JsonObject(),
                },
            },
        };
        return Encoding.UTF8.GetBytes(statement.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The subject digest and content key of a statement; a statement of another type is an error.</summary>
    public static ProvenanceClaims Read(byte[] json)
    {
        var node = JsonNode.Parse(json) ?? throw new FormatException("empty provenance");
        if (node["_type"]?.GetValue<string>() != StatementType || node["predicateType"]?.GetValue<string>() != PredicateType)
            throw new FormatException($"not an in-toto v1 statement with an SLSA provenance v1 predicate");
        var hex = node["subject"]?[0]?["digest"]?["sha256"]?.GetValue<string>() ?? throw new FormatException("the statement names no subject digest");
        return new ProvenanceClaims("sha256:" + hex, node["predicate"]?["buildDefinition"]?["internalParameters"]?["contentKey"]?.GetValue<string>());
    }

    private static JsonObject Image(string name, ImageReference image)
    {
        var o = new JsonObject { ["name"] = name, ["uri"] = $"oci://{image.Registry}/{image.RemoteName}" + (image.Tag is { } t ? ":" + t : "") };
        if (image.Digest is { } d) o["digest"] = new JsonObject { ["sha256"] = Hex(d) };
        return o;
    }

    private static string Hex(string digest) => digest.StartsWith("sha256:", StringComparison.Ordinal) ? digest[7..] : digest;
}
