using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Strata.Graph;
using Strata.IO;
using Strata.Keys;

namespace Strata.Smoke;

/// <summary>A recorded pass: the image, the reference tested, how many checks passed and the vault runtime that proved it.</summary>
public sealed record RecordedProof(string Image, string ImageRef, int Passed, string? VaultRuntime);

/// <summary>
/// Remembers that an image passed its smoke tests. A proof is keyed by the image's content key and
/// everything that decides a pass: every check as planned (spec and generated checks with their
/// commands, patterns, locked versions and time limits), the spec's user, the vault scenario's
/// files and the Strata version. So an unchanged image under unchanged checks is not tested again,
/// and a change to any check, in YAML or in C#, tests it again.
/// </summary>
public sealed class SmokeProof(string directory)
{
    /// <summary>Bump with any change to how checks are run or judged that their definitions do not show.</summary>
    public static string StrataVersion { get; } =
        typeof(SmokeProof).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private static readonly JsonSerializerOptions Canonical = new()
    {
        Converters = { new RegexAsPattern(), new JsonStringEnumConverter() },
        // Where a check is declared (file:line) decides nothing: moving it in its file keeps old proofs.
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver
        {
            Modifiers = { info => { foreach (var p in info.Properties.Where(p => p.Name == nameof(SmokeCheck.Origin)).ToList()) info.Properties.Remove(p); } },
        },
    };

    public static string Key(ImageGraph graph, string imageKey, SmokePlan plan, SmokeOptions options)
    {
        using var key = new KeyBuilder()
            .Add("image-key", imageKey)
            .Add("strata", StrataVersion)
            .Add("user", plan.Spec.User);
        foreach (var check in plan.Checks)
        {
            // Paths inside the checkout (the scenario folder) are written relative to it: the same
            // checks in another clone prove the same thing.
            var definition = JsonSerializer.Serialize(check, check.GetType(), Canonical)
                .Replace(JsonEncodedText.Encode(graph.RootDirectory).ToString(), "<repo>", StringComparison.Ordinal);
            key.Add("check:" + check.GetType().Name, definition);
        }
        if (plan.Checks.Any(c => c is ScenarioCheck) && Directory.Exists(Path.Combine(graph.RootDirectory, options.VaultDirectory)))
            key.AddFiles("scenario-file", InputSet.Collect(graph.RootDirectory, [options.VaultDirectory], graph.Exclude));
        return key.Finish();
    }

    public bool IsProven(string proofKey) => File.Exists(PathOf(proofKey));

    /// <summary>Remembers a pass; the run's counts and its JUnit report are kept beside it, for the smoke report a release attaches.</summary>
    public void Record(string proofKey, SmokeResult result)
    {
        if (result.ReportPath is { } report && File.Exists(report)) AtomicFile.Write(PathOf(proofKey) + ".xml", s => { using var r = File.OpenRead(report); r.CopyTo(s); });
        AtomicFile.WriteAllText(PathOf(proofKey) + ".json",
            JsonSerializer.Serialize(new RecordedProof(result.Image, result.ImageRef.ToString(), result.PassedCount, result.VaultRuntime)));
        AtomicFile.WriteAllText(PathOf(proofKey),
            $"{result.Image} {result.ImageRef}: {result.PassedCount} checks passed; vault runtime: {result.VaultRuntime ?? "none"}\n");
    }

    /// <summary>What a recorded pass says (null for an unproven key, or one recorded before counts were kept) and its JUnit report, if any.</summary>
    public (RecordedProof? Proof, byte[]? JUnit) Read(string proofKey)
    {
        if (!IsProven(proofKey)) return (null, null);
        var json = PathOf(proofKey) + ".json";
        var xml = PathOf(proofKey) + ".xml";
        return (File.Exists(json) ? JsonSerializer.Deserialize<RecordedProof>(File.ReadAllText(json)) : null,
            File.Exists(xml) ? File.ReadAllBytes(xml) : null);
    }

    private string PathOf(string proofKey) => Path.Combine(directory, proofKey);

    /// <summary>A regex is its pattern and options (System.Text.Json would write neither).</summary>
    private sealed class RegexAsPattern : JsonConverter<Regex>
    {
        public override Regex Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("proof keys are written, never read");

        public override void Write(Utf8JsonWriter writer, Regex value, JsonSerializerOptions options) =>
            writer.WriteStringValue($"/{value}/{value.Options}");
    }
}
