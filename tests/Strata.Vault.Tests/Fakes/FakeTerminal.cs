using System.Text;
using Strata.Vault.Secrets;
using Strata.Vault.User;

namespace Strata.Vault.Tests.Fakes;

/// <summary>
/// A terminal with the lines a person types, in order: text, or null for Ctrl+D (end of input). A prompt can run
/// an action first (a signal, another session's unlock). It records what was shown, whether echo was off when
/// each prompt appeared, and every secret it handed out (to check they were all zeroed).
/// </summary>
public sealed class FakeTerminal : ITerminal, ITerminalProvider
{
    private readonly Queue<string?> _lines = new();
    public bool HasTerminal { get; set; } = true;
    public bool StdinIsTerminal { get; set; } = true;
    public bool EchoIsOff { get; private set; }
    public StringBuilder Shown { get; } = new();
    public List<(string Prompt, bool EchoOff)> Prompts { get; } = [];
    public List<Secret> Handed { get; } = [];
    /// <summary>Runs when a prompt with this text is shown, before the answer is read; returns true to end the read (a signal).</summary>
    public Dictionary<string, Func<bool>> OnPrompt { get; } = [];

    public FakeTerminal Type(params string?[] lines)
    {
        foreach (var l in lines) _lines.Enqueue(l);
        return this;
    }

    public ITerminal? Open() => HasTerminal ? this : null;
    public void EchoOff() => EchoIsOff = true;
    public void Restore() => EchoIsOff = false;
    public void Write(string text) => Shown.Append(text);

    public Secret? ReadSecret(string prompt)
    {
        if (Prompted(prompt)) return null;
        var line = _lines.Count == 0 ? null : _lines.Dequeue();
        if (line is null) return null;
        var secret = Secret.FromBytes(Encoding.UTF8.GetBytes(line));
        Handed.Add(secret);
        return secret;
    }

    public string? ReadLine(string prompt) => Prompted(prompt) ? null : _lines.Count == 0 ? null : _lines.Dequeue();

    private bool Prompted(string prompt)
    {
        Shown.Append(prompt);
        Prompts.Add((prompt, EchoIsOff));
        return OnPrompt.TryGetValue(prompt, out var action) && action();
    }

    public void Dispose() { }
}
