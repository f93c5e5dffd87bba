using Strata.Vault.Secrets;

namespace Strata.Vault.User;

/// <summary>The controlling terminal (/dev/tty), where passphrases and the erase question are asked.</summary>
public interface ITerminal : IDisposable
{
    /// <summary>Turns echo off; done before the first prompt is shown, so nothing typed ahead is echoed.</summary>
    void EchoOff();
    /// <summary>Puts the terminal back as it was (idempotent; also from a signal handler).</summary>
    void Restore();
    void Write(string text);
    /// <summary>Prompts and reads one line into a locked buffer; null at end of input (Ctrl+D) or on a signal.</summary>
    Secret? ReadSecret(string prompt);
    /// <summary>Prompts and reads one plain line (echo on); null at end of input.</summary>
    string? ReadLine(string prompt);
}

/// <summary>Opens the terminal: null when the process has none.</summary>
public interface ITerminalProvider
{
    ITerminal? Open();
    /// <summary>Standard input is a terminal (a script's `vault lock` is not asked anything).</summary>
    bool StdinIsTerminal { get; }
}
