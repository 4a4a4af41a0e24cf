using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Bms.IlTools.Compatibility;

/// <summary>Which namespaces count as guard loop and which assemblies may be referenced.</summary>
public sealed class NanoIlCheckerOptions
{
    /// <summary>The namespaces (and their sub-namespaces) where float and double are forbidden.</summary>
    public static readonly IReadOnlyList<string> DefaultGuardLoopNamespaces = new[]
    {
        "Bms.Firmware.Estimation",
        "Bms.Firmware.Protection",
        "Bms.Firmware.Safety",
        "Bms.Firmware.Balancing",
        "Bms.Firmware.Limits",
    };

    public IReadOnlyList<string> GuardLoopNamespaces { get; init; } = DefaultGuardLoopNamespaces;

    /// <summary>Referenced assemblies whose simple name starts with this prefix are our own MCU assemblies.</summary>
    public string OwnAssemblyPrefix { get; init; } = "Bms.";

    /// <summary>The base library's simple name.</summary>
    public string BaseLibraryName { get; init; } = "mscorlib";

    /// <summary>
    /// When set, the mscorlib reference must carry this version (the nanoFramework.CoreLibrary one); a reference
    /// to another mscorlib (e.g. .NET Framework's 4.0.0.0) means the assembly was not built against nanoFramework.
    /// </summary>
    public Version? BaseLibraryVersion { get; init; }
}

/// <summary>
/// Reads built MCU assemblies (hal, drivers, firmware) with Mono.Cecil and reports the constructs that compile
/// against nanoFramework's mscorlib but that the nanoCLR 1.x interpreter cannot run (see <see cref="IlRule"/>).
/// The compile gate (NoStdLib against the nano mscorlib) catches missing APIs; this catches missing runtime features.
/// </summary>
public sealed class NanoIlChecker
{
    private readonly NanoIlCheckerOptions _options;

    public NanoIlChecker(NanoIlCheckerOptions? options = null) => _options = options ?? new NanoIlCheckerOptions();

    public IReadOnlyList<IlViolation> CheckFile(string assemblyPath)
    {
        if (!File.Exists(assemblyPath)) throw new FileNotFoundException($"Assembly to check not found: {assemblyPath}", assemblyPath);
        using var assembly = AssemblyDefinition.ReadAssembly(assemblyPath);
        return Check(assembly);
    }

    public IReadOnlyList<IlViolation> CheckImage(byte[] image)
    {
        using var stream = new MemoryStream(image, writable: false);
        using var assembly = AssemblyDefinition.ReadAssembly(stream);
        return Check(assembly);
    }

    public IReadOnlyList<IlViolation> Check(AssemblyDefinition assembly)
    {
        var sink = new List<IlViolation>();
        string asm = assembly.Name.Name;
        foreach (ModuleDefinition module in assembly.Modules)
        {
            CheckReferences(asm, module, sink);
            foreach (TypeDefinition type in AllTypes(module))
            {
                CheckType(asm, type, sink);
            }
        }
        return sink;
    }

    private void CheckReferences(string asm, ModuleDefinition module, List<IlViolation> sink)
    {
        foreach (AssemblyNameReference reference in module.AssemblyReferences)
        {
            bool own = reference.Name.StartsWith(_options.OwnAssemblyPrefix, StringComparison.Ordinal);
            bool baseLibrary = reference.Name == _options.BaseLibraryName;
            if (!own && !baseLibrary)
            {
                sink.Add(new IlViolation(asm, "<module>", "", IlRule.ForeignReference, -1,
                    $"references assembly {reference.FullName}; only {_options.BaseLibraryName} and {_options.OwnAssemblyPrefix}* are on the device"));
            }
            else if (baseLibrary && _options.BaseLibraryVersion is { } expected && reference.Version != expected)
            {
                sink.Add(new IlViolation(asm, "<module>", "", IlRule.ForeignReference, -1,
                    $"references {reference.FullName}, not nanoFramework's mscorlib {expected}"));
            }
        }
        foreach (ModuleReference native in module.ModuleReferences)
        {
            sink.Add(new IlViolation(asm, "<module>", "", IlRule.ForeignReference, -1,
                $"references native module {native.Name} (P/Invoke)"));
        }
    }

    private void CheckType(string asm, TypeDefinition type, List<IlViolation> sink)
    {
        string typeName = type.FullName;
        bool guardLoop = IsGuardLoop(type);

        if (type.HasGenericParameters)
        {
            // A generic nested type inside a generic method's declaring type (closures, iterators) lands here too.
            sink.Add(new IlViolation(asm, typeName, "", IlRule.Generics, -1,
                $"generic type definition with {type.GenericParameters.Count} type parameter(s)"));
        }
        if (type.BaseType is { } baseType && IsGenericInstance(baseType))
            sink.Add(new IlViolation(asm, typeName, "", IlRule.Generics, -1, $"derives from generic instance {baseType.FullName}"));
        foreach (InterfaceImplementation implemented in type.Interfaces)
        {
            if (IsGenericInstance(implemented.InterfaceType))
                sink.Add(new IlViolation(asm, typeName, "", IlRule.Generics, -1, $"implements generic instance {implemented.InterfaceType.FullName}"));
        }

        foreach (FieldDefinition field in type.Fields)
        {
            CheckSignatureType(asm, typeName, field.Name, field.FieldType, "field", guardLoop, sink);
            foreach (CustomAttribute attribute in field.CustomAttributes)
            {
                if (attribute.AttributeType.Name == "FixedBufferAttribute")
                    sink.Add(new IlViolation(asm, typeName, field.Name, IlRule.UnsafeCode, -1, "fixed-size buffer field"));
            }
        }

        foreach (MethodDefinition method in type.Methods)
        {
            CheckMethod(asm, typeName, method, guardLoop, sink);
        }
    }

    private void CheckMethod(string asm, string typeName, MethodDefinition method, bool guardLoop, List<IlViolation> sink)
    {
        string member = method.Name;
        if (method.HasGenericParameters)
            sink.Add(new IlViolation(asm, typeName, member, IlRule.Generics, -1,
                $"generic method definition with {method.GenericParameters.Count} type parameter(s)"));
        if (method.IsPInvokeImpl)
            sink.Add(new IlViolation(asm, typeName, member, IlRule.ForeignReference, -1, "P/Invoke method"));

        CheckSignatureType(asm, typeName, member, method.ReturnType, "return value", guardLoop, sink);
        foreach (ParameterDefinition parameter in method.Parameters)
            CheckSignatureType(asm, typeName, member, parameter.ParameterType, $"parameter '{parameter.Name}'", guardLoop, sink);

        if (!method.HasBody) return;
        MethodBody body = method.Body;
        foreach (VariableDefinition local in body.Variables)
        {
            if (local.IsPinned)
                sink.Add(new IlViolation(asm, typeName, member, IlRule.UnsafeCode, -1, $"pinned local V_{local.Index} (fixed statement)"));
            CheckSignatureType(asm, typeName, member, local.VariableType, $"local V_{local.Index}", guardLoop, sink);
        }

        foreach (Instruction instruction in body.Instructions)
        {
            CheckInstruction(asm, typeName, member, instruction, guardLoop, sink);
        }
    }

    private static readonly HashSet<Code> UnsafeOpcodes = new()
    {
        // arglist/mkrefany/refanyval/refanytype: varargs and TypedReference, which nanoCLR lacks as well.
        Code.Localloc, Code.Calli, Code.Cpblk, Code.Initblk, Code.Arglist, Code.Mkrefany, Code.Refanyval, Code.Refanytype,
    };

    private static readonly HashSet<Code> FloatOpcodes = new()
    {
        Code.Ldc_R4, Code.Ldc_R8, Code.Conv_R4, Code.Conv_R8, Code.Conv_R_Un, Code.Ckfinite,
        Code.Ldelem_R4, Code.Ldelem_R8, Code.Stelem_R4, Code.Stelem_R8,
        Code.Ldind_R4, Code.Ldind_R8, Code.Stind_R4, Code.Stind_R8,
    };

    private void CheckInstruction(string asm, string typeName, string member, Instruction instruction, bool guardLoop, List<IlViolation> sink)
    {
        Code code = instruction.OpCode.Code;
        int offset = instruction.Offset;
        if (UnsafeOpcodes.Contains(code))
            sink.Add(new IlViolation(asm, typeName, member, IlRule.UnsafeCode, offset, $"{instruction.OpCode.Name} instruction"));
        if (guardLoop && FloatOpcodes.Contains(code))
            sink.Add(new IlViolation(asm, typeName, member, IlRule.FloatingPointInGuardLoop, offset, $"{instruction.OpCode.Name} instruction"));

        switch (instruction.Operand)
        {
            case MethodReference called:
                if (called is GenericInstanceMethod)
                    sink.Add(new IlViolation(asm, typeName, member, IlRule.Generics, offset, $"{instruction.OpCode.Name} of generic method instance {called.FullName}"));
                else if (IsGenericInstance(called.DeclaringType))
                    sink.Add(new IlViolation(asm, typeName, member, IlRule.Generics, offset, $"{instruction.OpCode.Name} on generic type instance {called.DeclaringType.FullName}"));
                if (ContainsUnsafeType(called.ReturnType) || called.Parameters.Any(p => ContainsUnsafeType(p.ParameterType)))
                    sink.Add(new IlViolation(asm, typeName, member, IlRule.UnsafeCode, offset, $"{instruction.OpCode.Name} of {called.FullName} with a pointer in its signature"));
                if (guardLoop && (IsFloatingPoint(called.ReturnType) || called.Parameters.Any(p => IsFloatingPoint(p.ParameterType))))
                    sink.Add(new IlViolation(asm, typeName, member, IlRule.FloatingPointInGuardLoop, offset, $"{instruction.OpCode.Name} of {called.FullName} with float/double in its signature"));
                break;
            case FieldReference field:
                if (IsGenericInstance(field.DeclaringType))
                    sink.Add(new IlViolation(asm, typeName, member, IlRule.Generics, offset, $"{instruction.OpCode.Name} of field on generic type instance {field.DeclaringType.FullName}"));
                if (ContainsUnsafeType(field.FieldType))
                    sink.Add(new IlViolation(asm, typeName, member, IlRule.UnsafeCode, offset, $"{instruction.OpCode.Name} of pointer-typed field {field.FullName}"));
                if (guardLoop && IsFloatingPoint(field.FieldType))
                    sink.Add(new IlViolation(asm, typeName, member, IlRule.FloatingPointInGuardLoop, offset, $"{instruction.OpCode.Name} of float/double field {field.FullName}"));
                break;
            case TypeReference type:
                if (IsGenericInstance(type))
                    sink.Add(new IlViolation(asm, typeName, member, IlRule.Generics, offset, $"{instruction.OpCode.Name} with generic type instance {type.FullName}"));
                if (ContainsUnsafeType(type))
                    sink.Add(new IlViolation(asm, typeName, member, IlRule.UnsafeCode, offset, $"{instruction.OpCode.Name} with pointer type {type.FullName}"));
                if (guardLoop && IsFloatingPoint(type))
                    sink.Add(new IlViolation(asm, typeName, member, IlRule.FloatingPointInGuardLoop, offset, $"{instruction.OpCode.Name} with type {type.FullName}"));
                break;
            case CallSite:
                sink.Add(new IlViolation(asm, typeName, member, IlRule.UnsafeCode, offset, $"{instruction.OpCode.Name} through a function pointer"));
                break;
        }
    }

    private static void CheckSignatureType(string asm, string typeName, string member, TypeReference type, string what, bool guardLoop, List<IlViolation> sink)
    {
        if (ContainsUnsafeType(type))
            sink.Add(new IlViolation(asm, typeName, member, IlRule.UnsafeCode, -1, $"{what} of pointer type {type.FullName}"));
        if (IsGenericInstance(type))
            sink.Add(new IlViolation(asm, typeName, member, IlRule.Generics, -1, $"{what} of generic type instance {type.FullName}"));
        if (guardLoop && IsFloatingPoint(type))
            sink.Add(new IlViolation(asm, typeName, member, IlRule.FloatingPointInGuardLoop, -1, $"{what} of type {type.FullName}"));
    }

    /// <summary>Guard-loop membership follows the outermost declaring type's namespace (nested types have none).</summary>
    private bool IsGuardLoop(TypeDefinition type)
    {
        TypeDefinition outer = type;
        while (outer.DeclaringType is not null) outer = outer.DeclaringType;
        string ns = outer.Namespace;
        foreach (string guarded in _options.GuardLoopNamespaces)
        {
            if (ns == guarded || ns.StartsWith(guarded + ".", StringComparison.Ordinal)) return true;
        }
        return false;
    }

    private static IEnumerable<TypeDefinition> AllTypes(ModuleDefinition module)
    {
        var pending = new Stack<TypeDefinition>(module.Types);
        while (pending.Count > 0)
        {
            TypeDefinition type = pending.Pop();
            yield return type;
            foreach (TypeDefinition nested in type.NestedTypes) pending.Push(nested);
        }
    }

    /// <summary>Unwraps arrays, by-refs and modifiers down to the element type.</summary>
    private static TypeReference Element(TypeReference type)
    {
        while (true)
        {
            switch (type)
            {
                case ArrayType array: type = array.ElementType; break;
                case ByReferenceType byRef: type = byRef.ElementType; break;
                case RequiredModifierType required: type = required.ElementType; break;
                case OptionalModifierType optional: type = optional.ElementType; break;
                case PinnedType pinned: type = pinned.ElementType; break;
                default: return type;
            }
        }
    }

    private static bool ContainsUnsafeType(TypeReference type)
    {
        while (true)
        {
            switch (type)
            {
                case PointerType:
                case FunctionPointerType:
                    return true;
                case TypeSpecification specification:
                    type = specification.ElementType;
                    break;
                default:
                    return false;
            }
        }
    }

    private static bool IsGenericInstance(TypeReference type)
    {
        while (true)
        {
            switch (type)
            {
                case GenericInstanceType:
                case GenericParameter:
                    return true;
                case TypeSpecification specification:
                    type = specification.ElementType;
                    break;
                default:
                    return false;
            }
        }
    }

    private static bool IsFloatingPoint(TypeReference type)
    {
        TypeReference element = Element(type);
        return element.MetadataType is MetadataType.Single or MetadataType.Double;
    }
}
