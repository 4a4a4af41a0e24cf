using System;
using Bms.Firmware.Measurement;
using Bms.Firmware.Safety;

namespace Bms.Firmware.Tests.Safety
{
    /// <summary>
    /// Drives a <see cref="ThermalRunawayGuard"/> tick by tick from a scenario written as plain functions of time
    /// (exact temperatures in °C as double, cell voltages in mV), quantised to the snapshot's integer units with
    /// optional deterministic noise.
    /// </summary>
    public sealed class PackScenario
    {
        public const int TickMs = 100;

        public PackScenario(int cells, int sensors, ThermalRunawayConfig? config = null, int seed = 1)
        {
            Config = config ?? new ThermalRunawayConfig();
            Sink = new RecordingSink();
            Guard = new ThermalRunawayGuard(Config, cells, sensors, Sink);
            Snapshot = new MeasurementSnapshot(cells, sensors);
            Random = new Random(seed);
            Temperature_C = new double[sensors];
            CellVoltage_mV = new double[cells];
            for (int j = 0; j < sensors; j++) { Temperature_C[j] = 25.0; }
            for (int i = 0; i < cells; i++) { CellVoltage_mV[i] = 3700; }
            SensorOverride_dC = new int?[sensors];
            SensorInvalid = new bool[sensors];
        }

        public ThermalRunawayConfig Config { get; }
        public RecordingSink Sink { get; }
        public ThermalRunawayGuard Guard { get; }
        public MeasurementSnapshot Snapshot { get; }
        public Random Random { get; }

        /// <summary>True temperatures (°C) the next tick reports.</summary>
        public double[] Temperature_C { get; }
        /// <summary>True cell voltages the next tick reports.</summary>
        public double[] CellVoltage_mV { get; }
        /// <summary>A raw value a broken sensor reports instead of the truth.</summary>
        public int?[] SensorOverride_dC { get; }
        /// <summary>Channels the AFE could not read.</summary>
        public bool[] SensorInvalid { get; }
        public int Current_mA { get; set; }
        /// <summary>Uniform temperature noise amplitude in 0.1 °C (2 = ±0.2 °C).</summary>
        public int TemperatureNoise_dC { get; set; }
        /// <summary>Uniform voltage noise amplitude in mV.</summary>
        public int VoltageNoise_mV { get; set; }

        public long Now_ms { get; private set; }

        /// <summary>Runs one tick at <see cref="Now_ms"/>, then advances time.</summary>
        public void Tick()
        {
            Snapshot.Time_ms = Now_ms;
            for (int i = 0; i < Snapshot.CellCount; i++)
            {
                int noise = VoltageNoise_mV == 0 ? 0 : Random.Next(-VoltageNoise_mV, VoltageNoise_mV + 1);
                Snapshot.CellVoltage_mV[i] = (int)Math.Round(CellVoltage_mV[i]) + noise;
                Snapshot.CellValid[i] = true;
            }
            for (int j = 0; j < Snapshot.TemperatureCount; j++)
            {
                int noise = TemperatureNoise_dC == 0 ? 0 : Random.Next(-TemperatureNoise_dC, TemperatureNoise_dC + 1);
                Snapshot.Temperature_dC[j] = SensorOverride_dC[j] ?? (int)Math.Round(Temperature_C[j] * 10) + noise;
                Snapshot.TemperatureValid[j] = !SensorInvalid[j];
            }
            Snapshot.Current_mA = Current_mA;
            Snapshot.CurrentValid = true;
            Snapshot.CurrentTime_ms = Now_ms;
            Guard.Update100ms(Snapshot);
            Now_ms += TickMs;
        }

        /// <summary>Runs ticks until <paramref name="until_ms"/> (exclusive), calling <paramref name="before"/> with
        /// the tick time first; stops early when <paramref name="stop"/> returns true after a tick.</summary>
        public void RunUntil(long until_ms, Action<long>? before = null, Func<bool>? stop = null)
        {
            while (Now_ms < until_ms)
            {
                before?.Invoke(Now_ms);
                Tick();
                if (stop != null && stop())
                {
                    return;
                }
            }
        }
    }
}
