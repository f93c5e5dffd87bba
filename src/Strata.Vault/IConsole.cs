namespace Strata.Vault;

/// <summary>Where the vault speaks: results on stdout, "vault: ..." messages on stderr.</summary>
public interface IConsole
{
    void Out(string line);
    void Say(string message);
}

/// <summary>
/// stdout and stderr through write(2), never System.Console: on its first write .NET initialises a terminal on
/// stdin and sends it terminfo's keypad_xmit escape (seen: under User-Mode Linux, whose console is the scenario's
/// stdin, those bytes landed in front of the TAP lines and the relay lost them). The vault writes no control
/// sequence anywhere.
/// </summary>
public sealed class StandardConsole : IConsole
{
    public void Out(string line) => Platform.RawOutput.Write(1, line + "\n");
    public void Say(string message) => Platform.RawOutput.Write(2, "vault: " + message + "\n");
}
