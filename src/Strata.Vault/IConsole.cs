namespace Strata.Vault;

/// <summary>Where the vault speaks: results on stdout, "vault: ..." messages on stderr.</summary>
public interface IConsole
{
    void Out(string line);
    void Say(string message);
}

public sealed class StandardConsole : IConsole
{
    public void Out(string line) => Console.Out.WriteLine(line);
    public void Say(string message) => Console.Error.WriteLine("vault: " + message);
}
