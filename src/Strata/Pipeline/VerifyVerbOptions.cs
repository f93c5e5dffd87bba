namespace Strata.Pipeline;

/// <summary>The options of verify (beside the run's: --registry, --platform).</summary>
public sealed record VerifyVerbOptions
{
    /// <summary>Only this image's moving tags (--image=NAME); null: every image.</summary>
    public string? Image { get; init; }
    /// <summary>Build the chain again here, cold, and compare it with the registry's images (--rebuild; issue 31).</summary>
    public bool Rebuild { get; init; }

    public static readonly VerbOptionNames Names = new([Targets.Verify], ["image", "rebuild"]);

    public static VerifyVerbOptions From(CommandLine commandLine)
    {
        var line = commandLine.Reading(Names.Options);
        return new VerifyVerbOptions { Image = line.NonEmpty("image"), Rebuild = line.Flag("rebuild") };
    }
}
