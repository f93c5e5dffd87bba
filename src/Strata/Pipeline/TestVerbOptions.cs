namespace Strata.Pipeline;

/// <summary>The options of test.</summary>
public sealed record TestVerbOptions
{
    /// <summary>Only the tests this dotnet test filter selects (--filter=EXPR; <c>Needs!=Engine</c> is the lane without an engine).</summary>
    public string? Filter { get; init; }

    public static readonly VerbOptionNames Names = new([Targets.Test], ["filter"]);

    public static TestVerbOptions From(CommandLine commandLine) => new() { Filter = commandLine.Reading(Names.Options).NonEmpty("filter") };
}
