namespace Strata.Pipeline;

/// <summary>
/// The command line as Cake hands it over (<c>--name=value</c>: name to values, a flag having one empty value) and the
/// environment beside it: what <see cref="RunOptions"/> and each verb's options type are parsed from. A parser reads only
/// the names it declares (<see cref="Reading"/>), so the lists the typo warning checks against (<see cref="OptionNames"/>)
/// cannot drift from what is read.
/// </summary>
public sealed class CommandLine
{
    private readonly IDictionary<string, ICollection<string>> _arguments;
    private readonly Func<string, string?> _environment;
    private readonly IReadOnlySet<string>? _declared;

    public CommandLine(IDictionary<string, ICollection<string>> arguments, Func<string, string?> environment)
        : this(arguments, environment, null)
    {
    }

    private CommandLine(IDictionary<string, ICollection<string>> arguments, Func<string, string?> environment, IReadOnlySet<string>? declared)
    {
        _arguments = arguments;
        _environment = environment;
        _declared = declared;
    }

    /// <summary>The option names given, as given.</summary>
    public IEnumerable<string> Names => _arguments.Keys;

    /// <summary>The target Cake runs (--target; default <see cref="Targets.Default"/>).</summary>
    public string Target => Given("target") ?? Targets.Default;

    /// <summary>This command line for a parser that may read only <paramref name="names"/>.</summary>
    public CommandLine Reading(IEnumerable<string> names) =>
        new(_arguments, _environment, new HashSet<string>(names, StringComparer.OrdinalIgnoreCase));

    /// <summary>The last value of --<paramref name="name"/>; null when not given.</summary>
    public string? Value(string name) => Given(Declared(name));

    /// <summary>The last value of --<paramref name="name"/>; null when not given or empty.</summary>
    public string? NonEmpty(string name) => Value(name) is { Length: > 0 } value ? value : null;

    /// <summary>
    /// Whether the flag --<paramref name="name"/> is set: given bare (or =true); =false leaves it off. Any other value is an
    /// <see cref="OptionException"/> (--dry-run=yes used to be read as off).
    /// </summary>
    public bool Flag(string name)
    {
        if (!_arguments.ContainsKey(Declared(name))) return false;
        return Given(name)?.ToLowerInvariant() switch
        {
            null or "" or "true" => true,
            "false" => false,
            var value => throw new OptionException($"--{name}={value}: --{name} is a flag; give it alone (--{name}), or --{name}=false to leave it off."),
        };
    }

    public string? Environment(string name) => _environment(name);

    private string? Given(string name) => _arguments.TryGetValue(name, out var values) && values.Count > 0 ? values.Last() : null;

    private string Declared(string name) => _declared is null || _declared.Contains(name)
        ? name
        : throw new InvalidOperationException($"--{name} is read by a parser that does not declare it (add it to its option names).");
}
