using Strata.Pipeline;

namespace Strata.Tests.Support;

/// <summary>Command lines as Cake hands them over, from <c>name=value</c> strings (a bare <c>name</c> is a flag).</summary>
public static class CommandLines
{
    public static CommandLine Of(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var arguments = new Dictionary<string, ICollection<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var arg in args)
        {
            var (name, value) = arg.Split('=', 2) is [var n, var v] ? (n, v) : (arg, "");
            if (!arguments.TryGetValue(name, out var values)) arguments[name] = values = new List<string>();
            values.Add(value);
        }
        return new CommandLine(arguments, n => environment.GetValueOrDefault(n));
    }

    public static CommandLine Of(params string[] args) => Of(new Dictionary<string, string?>(), args);
}
