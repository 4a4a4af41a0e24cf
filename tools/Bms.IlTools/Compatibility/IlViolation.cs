namespace Bms.IlTools.Compatibility;

/// <summary>What nanoFramework 1.x cannot run although the C# compiler accepted it.</summary>
public enum IlRule
{
    /// <summary>A generic type or method defined in our code (compiler-generated closures included),
    /// or an instantiation of a generic type/method: the nanoCLR 1.x interpreter has no generics.</summary>
    Generics,

    /// <summary>Pointer or function-pointer types, pinned locals (fixed), fixed-size buffers, localloc,
    /// calli, cpblk/initblk: nanoCLR has no unmanaged memory model.</summary>
    UnsafeCode,

    /// <summary>float/double in the guard-loop namespaces: their arithmetic must be integer fixed point.</summary>
    FloatingPointInGuardLoop,

    /// <summary>A reference to an assembly other than nanoFramework's mscorlib and our own Bms.* assemblies,
    /// or a P/Invoke into a native module: the device has nothing else to bind to.</summary>
    ForeignReference,
}

/// <summary>One finding: where (assembly, type, method, IL offset) and why.</summary>
/// <param name="Assembly">Simple name of the checked assembly.</param>
/// <param name="Type">Full name of the type (or "&lt;module&gt;" for assembly-level findings).</param>
/// <param name="Member">Method or field name, empty for type-level findings.</param>
/// <param name="Rule">The rule broken.</param>
/// <param name="IlOffset">Offset of the offending instruction in the method body, -1 when not an instruction.</param>
/// <param name="Detail">What exactly was found.</param>
public sealed record IlViolation(string Assembly, string Type, string Member, IlRule Rule, int IlOffset, string Detail)
{
    public override string ToString()
    {
        string where = Member.Length == 0 ? Type : $"{Type}::{Member}";
        string offset = IlOffset >= 0 ? $" at IL_{IlOffset:x4}" : "";
        return $"{Assembly}: {where}{offset}: {Rule}: {Detail}";
    }
}
