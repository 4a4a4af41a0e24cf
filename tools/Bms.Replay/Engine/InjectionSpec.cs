using System.Globalization;
using Bms.Emulators.Common;

namespace Bms.Replay.Engine;

/// <summary>
/// One fault injected into the emulated chip during a replay, parsed from <c>--inject</c>.
/// Grammar (no spaces):
/// <code>
///   SPEC     = KIND [":" TARGET] "@" TIME ["+" DURATION]
///   KIND     = crc | nack | no-answer | frozen | reset | stuck | open-wire | missing
///   TARGET   = stuck: cell 1..N;  open-wire: sense wire 0..N (C0 = bottom of the stack);
///              missing: daisy-chain device 1..D;  the other kinds take no target
///   TIME     = NUMBER UNIT, counted from the first sample of the trace;  UNIT = ms | s | min | h
///   DURATION = NUMBER UNIT; without it the fault stays to the end (reset is a single event: no duration)
/// </code>
/// Examples: <c>crc@60s</c>, <c>nack@120s+5s</c>, <c>open-wire:3@300s</c>, <c>reset@200s</c>,
/// <c>missing:1@100s</c>, <c>stuck:2@50s+10min</c>.
/// </summary>
public sealed record InjectionSpec(string Text, InjectionKind Kind, int? Target, long At_ms, long? Duration_ms)
{
    /// <summary>Help text for the CLI and README.</summary>
    public const string GrammarHelp =
        "Fault injected into the emulated chip: KIND[:TARGET]@TIME[+DURATION]. " +
        "KIND = crc (answers with wrong CRC/PEC), nack (I2C not acknowledged), no-answer (chip silent), " +
        "frozen (chip repeats its last conversion), reset (chip resets once), stuck:CELL (cell 1..N reads a fixed value), " +
        "open-wire:WIRE (sense wire 0..N open, 0 = bottom), missing:DEVICE (daisy-chain device 1..D, 1 = next to the MCU, and every device beyond it drop off). " +
        "TIME and DURATION are a number with unit ms, s, min or h, counted from the trace start; " +
        "without +DURATION the fault lasts to the end. Repeat --inject for several faults. " +
        "Examples: crc@60s  nack@120s+5s  open-wire:3@300s  reset@200s  missing:1@100s  stuck:2@50s";

    public long? End_ms => Duration_ms is long d ? At_ms + d : null;

    /// <summary>The emulator fault this spec turns on.</summary>
    public EmulatorFault Fault => Kind switch
    {
        InjectionKind.Crc => EmulatorFault.CorruptCrc,
        InjectionKind.Nack => EmulatorFault.Nack,
        InjectionKind.NoAnswer => EmulatorFault.NoAnswer,
        InjectionKind.Frozen => EmulatorFault.FrozenValue,
        InjectionKind.Reset => EmulatorFault.ChipReset,
        InjectionKind.Stuck => EmulatorFault.StuckValue,
        InjectionKind.OpenWire => EmulatorFault.OpenWire,
        InjectionKind.Missing => EmulatorFault.DeviceMissing,
        _ => throw new InvalidOperationException(),
    };

    /// <summary>The emulator's target index (0-based cell, wire index as given, 0-based device), or -1.</summary>
    public int EmulatorTarget => Kind switch
    {
        InjectionKind.Stuck => Target!.Value - 1,
        InjectionKind.OpenWire => Target!.Value,
        InjectionKind.Missing => Target!.Value - 1,
        _ => -1,
    };

    private static readonly (string Name, InjectionKind Kind)[] Kinds =
    {
        ("crc", InjectionKind.Crc), ("nack", InjectionKind.Nack), ("no-answer", InjectionKind.NoAnswer),
        ("frozen", InjectionKind.Frozen), ("reset", InjectionKind.Reset), ("stuck", InjectionKind.Stuck),
        ("open-wire", InjectionKind.OpenWire), ("missing", InjectionKind.Missing),
    };

    /// <summary>The grammar's name of a kind.</summary>
    public static string KindName(InjectionKind kind)
    {
        foreach (var (name, k) in Kinds) if (k == kind) return name;
        return kind.ToString();
    }

    /// <summary>Parses one spec; throws <see cref="FormatException"/> with a message that says what is wrong and what is expected.</summary>
    public static InjectionSpec Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw Bad(text, "it is empty");
        int at = text.IndexOf('@');
        if (at < 0) throw Bad(text, "'@TIME' is missing (for example crc@60s)");
        if (text.IndexOf('@', at + 1) >= 0) throw Bad(text, "more than one '@'");
        string head = text.Substring(0, at);
        string when = text.Substring(at + 1);

        string kindText = head;
        string? targetText = null;
        int colon = head.IndexOf(':');
        if (colon >= 0)
        {
            kindText = head.Substring(0, colon);
            targetText = head.Substring(colon + 1);
        }
        InjectionKind? kind = null;
        foreach (var (name, k) in Kinds) if (name == kindText) kind = k;
        if (kind is null)
            throw Bad(text, "unknown fault '" + kindText + "' (known: " + string.Join(", ", Kinds.Select(k => k.Name)) + ")");

        bool needsTarget = kind is InjectionKind.Stuck or InjectionKind.OpenWire or InjectionKind.Missing;
        int? target = null;
        if (needsTarget)
        {
            string what = kind switch
            {
                InjectionKind.Stuck => "a cell number 1..N (stuck:2@50s)",
                InjectionKind.OpenWire => "a sense-wire number 0..N, 0 = bottom of the stack (open-wire:3@300s)",
                _ => "a device number 1..D in the daisy chain (missing:1@100s)",
            };
            if (targetText is null || targetText.Length == 0) throw Bad(text, "'" + kindText + "' needs " + what);
            if (!int.TryParse(targetText, NumberStyles.None, CultureInfo.InvariantCulture, out int t))
                throw Bad(text, "target '" + targetText + "' is not a number; '" + kindText + "' needs " + what);
            int min = kind == InjectionKind.OpenWire ? 0 : 1;
            if (t < min) throw Bad(text, "target " + t + " is out of range; '" + kindText + "' needs " + what);
            target = t;
        }
        else if (targetText is not null)
        {
            throw Bad(text, "'" + kindText + "' takes no target (remove ':" + targetText + "')");
        }

        string timeText = when;
        string? durationText = null;
        int plus = when.IndexOf('+');
        if (plus >= 0)
        {
            timeText = when.Substring(0, plus);
            durationText = when.Substring(plus + 1);
        }
        long at_ms = ParseTime(text, timeText, "TIME");
        long? duration_ms = null;
        if (durationText is not null)
        {
            if (kind == InjectionKind.Reset) throw Bad(text, "a reset happens once and takes no +DURATION");
            duration_ms = ParseTime(text, durationText, "DURATION");
            if (duration_ms <= 0) throw Bad(text, "DURATION must be longer than 0");
        }
        return new InjectionSpec(text, kind.Value, target, at_ms, duration_ms);
    }

    /// <summary>Checks the targets against the pack and chip actually replayed; returns null when fine, else the reason.</summary>
    public string? CheckAgainst(int cells, int devices)
    {
        return Kind switch
        {
            InjectionKind.Stuck when Target > cells => "--inject " + Text + ": cell " + Target + " does not exist (the pack has " + cells + " cells)",
            InjectionKind.OpenWire when Target > cells => "--inject " + Text + ": wire " + Target + " does not exist (wires are 0.." + cells + ")",
            InjectionKind.Missing when devices <= 1 => "--inject " + Text + ": 'missing' needs a daisy chain of several devices (--afe ltc6813 with more than 18 cells)",
            InjectionKind.Missing when Target > devices => "--inject " + Text + ": device " + Target + " does not exist (the chain has " + devices + " devices)",
            _ => null,
        };
    }

    /// <summary>Parses a NUMBER UNIT duration (ms, s, min, h) as used in the grammar; throws <see cref="FormatException"/>.</summary>
    public static long ParseDuration(string text)
    {
        try
        {
            return ParseTime(text, text, "TIME");
        }
        catch (FormatException e)
        {
            // drop the --inject framing: the caller names its own option
            string m = e.Message;
            int colon = m.IndexOf("': ", StringComparison.Ordinal);
            int end = m.IndexOf(". Expected", StringComparison.Ordinal);
            throw new FormatException(colon >= 0 && end > colon ? m.Substring(colon + 3, end - colon - 3) : m);
        }
    }

    private static long ParseTime(string spec, string text, string part)
    {
        int unitStart = 0;
        while (unitStart < text.Length && (char.IsAsciiDigit(text[unitStart]) || text[unitStart] == '.')) unitStart++;
        string number = text.Substring(0, unitStart);
        string unit = text.Substring(unitStart);
        if (number.Length == 0) throw Bad(spec, part + " '" + text + "' must start with a number (for example 60s)");
        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal value))
            throw Bad(spec, part + " '" + text + "' is not a number with a unit");
        decimal scale = unit switch
        {
            "ms" => 1m,
            "s" => 1000m,
            "min" => 60_000m,
            "h" => 3_600_000m,
            "" => throw Bad(spec, part + " '" + text + "' needs a unit: ms, s, min or h (for example " + number + "s)"),
            _ => throw Bad(spec, part + " unit '" + unit + "' is unknown (use ms, s, min or h)"),
        };
        decimal ms = value * scale;
        if (ms > long.MaxValue / 2) throw Bad(spec, part + " '" + text + "' is too large");
        if (ms != decimal.Truncate(ms)) throw Bad(spec, part + " '" + text + "' is finer than 1 ms");
        return (long)ms;
    }

    private static FormatException Bad(string spec, string reason) =>
        new("--inject '" + spec + "': " + reason + ". Expected KIND[:TARGET]@TIME[+DURATION], e.g. crc@60s, nack@120s+5s, open-wire:3@300s.");
}

/// <summary>The kinds of <see cref="InjectionSpec"/>.</summary>
public enum InjectionKind
{
    Crc,
    Nack,
    NoAnswer,
    Frozen,
    Reset,
    Stuck,
    OpenWire,
    Missing,
}
