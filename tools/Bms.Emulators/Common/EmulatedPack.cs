namespace Bms.Emulators.Common;

/// <summary>
/// The physical quantities an emulated AFE measures, set by the harness from a trace or the pack model
/// before each scan. Units as everywhere: mV, 0.1 °C, mA (positive = charging).
/// </summary>
public sealed class EmulatedPack
{
    public EmulatedPack(int cellCount, int temperatureCount)
    {
        CellVoltage_mV = new int[cellCount];
        Temperature_dC = new int[temperatureCount];
        for (int i = 0; i < temperatureCount; i++) Temperature_dC[i] = 250;
    }

    public int CellCount => CellVoltage_mV.Length;
    public int TemperatureCount => Temperature_dC.Length;

    /// <summary>True cell voltages, index 0 = cell 1.</summary>
    public int[] CellVoltage_mV { get; }

    /// <summary>True temperatures at the thermistors.</summary>
    public int[] Temperature_dC { get; }

    /// <summary>True pack current.</summary>
    public int Current_mA { get; set; }

    /// <summary>Voltage on the load side of the contactors (for precharge).</summary>
    public int LinkVoltage_mV { get; set; }

    /// <summary>Sum of the cell voltages.</summary>
    public int StackVoltage_mV
    {
        get
        {
            int sum = 0;
            foreach (int v in CellVoltage_mV) sum += v;
            return sum;
        }
    }
}
