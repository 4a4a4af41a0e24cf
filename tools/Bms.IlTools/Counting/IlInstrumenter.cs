using Mono.Cecil;
using Mono.Cecil.Cil;
using Mono.Cecil.Rocks;

namespace Bms.IlTools.Counting;

/// <summary>A method of an instrumented assembly and its size (static IL instruction count).</summary>
/// <param name="Id">Index into the assembly's counter arrays.</param>
public sealed record InstrumentedMethod(int Id, string Assembly, string Type, string Method, int IlInstructions)
{
    public string FullName => $"{Type}::{Method}";
}

/// <summary>An instrumented copy of an assembly: its image and the methods it counts.</summary>
public sealed record InstrumentedAssembly(string Name, byte[] Image, IReadOnlyList<InstrumentedMethod> Methods);

/// <summary>
/// Rewrites an assembly so that running it counts the IL instructions it executes, per method.
/// Each basic block starts by adding the block's original instruction count to
/// <c>IlCounters.Instructions[methodId]</c>, a static array of a public class injected into the assembly
/// (<see cref="CounterTypeNamespace"/>.<see cref="CounterTypeName"/>). Each method's entry also increments
/// <c>Calls[methodId]</c>, and every heap-allocating instruction (newobj of a class, newarr, box) increments
/// <c>Allocations[methodId]</c>. The counts are exact as long as no exception leaves a block early
/// (a throwing block counts its instructions after the throw point too). The counting code itself is not counted.
/// </summary>
public static class IlInstrumenter
{
    public const string CounterTypeNamespace = "Bms.IlCounting";
    public const string CounterTypeName = "IlCounters";
    public const string InstructionsField = "Instructions";
    public const string CallsField = "Calls";
    public const string AllocationsField = "Allocations";

    public static InstrumentedAssembly Instrument(byte[] image)
    {
        using var input = new MemoryStream(image, writable: false);
        using AssemblyDefinition assembly = AssemblyDefinition.ReadAssembly(input, new ReaderParameters { ReadSymbols = false });
        ModuleDefinition module = assembly.MainModule;
        if (module.GetType(CounterTypeNamespace, CounterTypeName) is not null)
            throw new InvalidOperationException($"{assembly.Name.Name} is already instrumented");

        var methods = new List<InstrumentedMethod>();
        var bodies = new List<(MethodDefinition Method, int Id)>();
        foreach (TypeDefinition type in AllTypes(module))
        {
            foreach (MethodDefinition method in type.Methods)
            {
                if (!method.HasBody || method.Body.Instructions.Count == 0) continue;
                int id = methods.Count;
                methods.Add(new InstrumentedMethod(id, assembly.Name.Name, type.FullName, Signature(method), method.Body.Instructions.Count));
                bodies.Add((method, id));
            }
        }

        var counters = AddCounterType(module, methods.Count);
        foreach (var (method, id) in bodies)
        {
            InstrumentBody(method, id, counters);
        }

        using var output = new MemoryStream();
        assembly.Write(output);
        return new InstrumentedAssembly(assembly.Name.Name, output.ToArray(), methods);
    }

    private sealed record CounterFields(FieldDefinition Instructions, FieldDefinition Calls, FieldDefinition Allocations, TypeReference Int64);

    private static CounterFields AddCounterType(ModuleDefinition module, int methodCount)
    {
        TypeReference int64 = module.TypeSystem.Int64;
        var counterType = new TypeDefinition(CounterTypeNamespace, CounterTypeName,
            TypeAttributes.Public | TypeAttributes.Abstract | TypeAttributes.Sealed | TypeAttributes.Class | TypeAttributes.BeforeFieldInit,
            module.TypeSystem.Object);
        module.Types.Add(counterType);

        FieldDefinition NewField(string name)
        {
            var field = new FieldDefinition(name, FieldAttributes.Public | FieldAttributes.Static | FieldAttributes.InitOnly, new ArrayType(int64));
            counterType.Fields.Add(field);
            return field;
        }
        var fields = new CounterFields(NewField(InstructionsField), NewField(CallsField), NewField(AllocationsField), int64);

        var cctor = new MethodDefinition(".cctor",
            MethodAttributes.Private | MethodAttributes.Static | MethodAttributes.HideBySig | MethodAttributes.SpecialName | MethodAttributes.RTSpecialName,
            module.TypeSystem.Void);
        ILProcessor il = cctor.Body.GetILProcessor();
        foreach (FieldDefinition field in new[] { fields.Instructions, fields.Calls, fields.Allocations })
        {
            il.Emit(OpCodes.Ldc_I4, Math.Max(methodCount, 1));
            il.Emit(OpCodes.Newarr, int64);
            il.Emit(OpCodes.Stsfld, field);
        }
        il.Emit(OpCodes.Ret);
        counterType.Methods.Add(cctor);
        return fields;
    }

    private static void InstrumentBody(MethodDefinition method, int id, CounterFields counters)
    {
        MethodBody body = method.Body;
        IList<Instruction> original = body.Instructions.ToList();
        var blockSize = BasicBlockSizes(body, original);
        var allocating = original.Where(IsHeapAllocation).ToHashSet();

        // Long branch forms first, so that inserting code never overflows a short branch.
        body.SimplifyMacros();
        ILProcessor il = body.GetILProcessor();
        foreach (Instruction instruction in original)
        {
            var prefix = new List<Instruction>();
            if (blockSize.TryGetValue(instruction, out int size)) prefix.AddRange(Increment(counters.Instructions, id, size, counters.Int64));
            if (allocating.Contains(instruction)) prefix.AddRange(Increment(counters.Allocations, id, 1, counters.Int64));
            if (prefix.Count > 0) InsertBefore(il, instruction, prefix);
        }
        // Entry counter before everything, outside any loop: a branch back to the first block
        // still targets the (now counting) first block, not this prologue.
        Instruction first = body.Instructions[0];
        foreach (Instruction entry in Increment(counters.Calls, id, 1, counters.Int64))
            il.InsertBefore(first, entry);
        body.OptimizeMacros();
    }

    /// <summary>
    /// Inserts <paramref name="prefix"/> so that it runs right before <paramref name="target"/> for every path
    /// that reaches it: the target instruction object becomes the first prefix instruction (branches, switch
    /// tables and exception-handler boundaries keep pointing at it), and a copy of the original follows the prefix.
    /// </summary>
    private static void InsertBefore(ILProcessor il, Instruction target, List<Instruction> prefix)
    {
        Instruction copy = il.Create(OpCodes.Nop);
        copy.OpCode = target.OpCode;
        copy.Operand = target.Operand;
        target.OpCode = prefix[0].OpCode;
        target.Operand = prefix[0].Operand;
        Instruction last = target;
        for (int i = 1; i < prefix.Count; i++)
        {
            il.InsertAfter(last, prefix[i]);
            last = prefix[i];
        }
        il.InsertAfter(last, copy);
    }

    /// <summary>counters[id] += amount, leaving the evaluation stack as it found it (it may hold an exception object).</summary>
    private static Instruction[] Increment(FieldDefinition counters, int id, int amount, TypeReference int64) => new[]
    {
        Instruction.Create(OpCodes.Ldsfld, counters),
        Instruction.Create(OpCodes.Ldc_I4, id),
        Instruction.Create(OpCodes.Ldelema, int64),
        Instruction.Create(OpCodes.Dup),
        Instruction.Create(OpCodes.Ldind_I8),
        Instruction.Create(OpCodes.Ldc_I8, (long)amount),
        Instruction.Create(OpCodes.Add),
        Instruction.Create(OpCodes.Stind_I8),
    };

    /// <summary>Leaders of the basic blocks and the number of original instructions in each block.</summary>
    private static Dictionary<Instruction, int> BasicBlockSizes(MethodBody body, IList<Instruction> instructions)
    {
        var leaders = new HashSet<Instruction> { instructions[0] };
        for (int i = 0; i < instructions.Count; i++)
        {
            Instruction instruction = instructions[i];
            switch (instruction.Operand)
            {
                case Instruction target: leaders.Add(target); break;
                case Instruction[] targets: leaders.UnionWith(targets); break;
            }
            FlowControl flow = instruction.OpCode.FlowControl;
            if (flow is FlowControl.Branch or FlowControl.Cond_Branch or FlowControl.Return or FlowControl.Throw && i + 1 < instructions.Count)
                leaders.Add(instructions[i + 1]);
        }
        foreach (ExceptionHandler handler in body.ExceptionHandlers)
        {
            foreach (Instruction? boundary in new[] { handler.TryStart, handler.TryEnd, handler.HandlerStart, handler.HandlerEnd, handler.FilterStart })
                if (boundary is not null) leaders.Add(boundary);
        }

        var sizes = new Dictionary<Instruction, int>();
        Instruction? current = null;
        foreach (Instruction instruction in instructions)
        {
            if (leaders.Contains(instruction))
            {
                current = instruction;
                sizes[current] = 0;
            }
            sizes[current!]++;
        }
        return sizes;
    }

    private static bool IsHeapAllocation(Instruction instruction) => instruction.OpCode.Code switch
    {
        Code.Newarr or Code.Box => true,
        Code.Newobj => !IsValueType(((MethodReference)instruction.Operand).DeclaringType),
        _ => false,
    };

    /// <summary>newobj of a struct builds it on the stack; only classes go to the heap.</summary>
    private static bool IsValueType(TypeReference type)
    {
        if (type.IsValueType) return true;
        try
        {
            return type.Resolve()?.IsValueType ?? false;
        }
        catch (AssemblyResolutionException)
        {
            return false; // base library not found: count it as an allocation (errs on the side of reporting)
        }
    }

    private static string Signature(MethodDefinition method) =>
        $"{method.Name}({string.Join(", ", method.Parameters.Select(p => p.ParameterType.Name))})";

    private static IEnumerable<TypeDefinition> AllTypes(ModuleDefinition module)
    {
        var pending = new Stack<TypeDefinition>(module.Types.Reverse());
        while (pending.Count > 0)
        {
            TypeDefinition type = pending.Pop();
            yield return type;
            foreach (TypeDefinition nested in type.NestedTypes.Reverse()) pending.Push(nested);
        }
    }
}
