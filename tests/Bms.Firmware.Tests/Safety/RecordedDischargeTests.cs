using System;
using System.IO;
using Bms.Firmware.Events;
using Bms.Firmware.Safety;
using Bms.Traces.Import;
using Xunit;

namespace Bms.Firmware.Tests.Safety
{
    /// <summary>
    /// The guard on real data: Samsung INR18650-30Q constant-current discharges (ARTS-Lab dataset, CC BY-SA 4.0,
    /// see shared/data/README.md). The 4C run heats the cell surface to 63.9 °C, past the default 60 °C maximum
    /// operating temperature, so (b) is met; nothing else may fire. Four cells are the recorded cell with small
    /// offsets; three sensors see the recorded rise scaled 1.0, 0.8 and 1.1 (middle, edge and hot spot of a pack).
    /// </summary>
    public class RecordedDischargeTests
    {
        private readonly ITestOutputHelper _output;

        public RecordedDischargeTests(ITestOutputHelper output)
        {
            _output = output;
        }

        [Theory]
        [InlineData("Q30_S001_1C.csv")]
        [InlineData("Q30_S001_2C.csv")]
        [InlineData("Q30_S001_3C.csv")]
        [InlineData("Q30_S001_4C.csv")]
        public void Recorded_discharge_raises_no_runaway_precursor_or_sensor_fault(string file)
        {
            string? data = SharedData();
            if (data == null) { _output.WriteLine("recordings not available: skipped"); return; }
            var rec = Samsung30qRecording.Read(Path.Combine(data, "samsung30q", file));
            var p = new PackScenario(cells: 4, sensors: 3, seed: 4) { TemperatureNoise_dC = 1 };
            double ambient = rec.SurfaceTemperature_C[0];
            double[] scale = { 1.0, 0.8, 1.1 };
            int[] offset_mV = { 0, 3, -2, 5 };
            bool bSeen = false;
            int maxRate = 0;
            double end_ms = rec.Time_s[rec.Count - 1] * 1000;
            int row = 0;
            while (p.Now_ms < end_ms)
            {
                double t = p.Now_ms / 1000.0;
                while (row < rec.Count - 2 && rec.Time_s[row + 1] <= t) { row++; }
                double f = Math.Clamp((t - rec.Time_s[row]) / (rec.Time_s[row + 1] - rec.Time_s[row]), 0, 1);
                double surface = rec.SurfaceTemperature_C[row] + f * (rec.SurfaceTemperature_C[row + 1] - rec.SurfaceTemperature_C[row]);
                double voltage = rec.Voltage_V[row] + f * (rec.Voltage_V[row + 1] - rec.Voltage_V[row]);
                for (int j = 0; j < 3; j++) { p.Temperature_C[j] = ambient + scale[j] * (surface - ambient); }
                for (int i = 0; i < 4; i++) { p.CellVoltage_mV[i] = voltage * 1000 + offset_mV[i]; }
                p.Current_mA = (int)Math.Round(rec.Current_A[row] * 1000);
                p.Tick();
                bSeen |= p.Guard.MaxTemperatureReached;
                for (int j = 0; j < 3; j++) { maxRate = Math.Max(maxRate, p.Guard.GetTemperatureRate_mdC_per_s(j)); }
            }
            _output.WriteLine($"{file}: (b) {(bSeen ? "reached" : "not reached")}, largest fitted dT/dt {maxRate / 10000.0:F2} °C/s, events {p.Sink.Events.Count}");
            Assert.False(p.Guard.RunawayConfirmed);
            Assert.Empty(p.Sink.Events);
            if (file.Contains("4C")) { Assert.True(bSeen, "the 4C run passes 60 °C"); }
        }

        private static string? SharedData()
        {
            string? env = Environment.GetEnvironmentVariable("BMS_DATA_DIR");
            if (env != null && Directory.Exists(Path.Combine(env, "samsung30q"))) { return env; }
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "BmsFirmware.sln")))
                {
                    string candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
                    return Directory.Exists(Path.Combine(candidate, "samsung30q")) ? candidate : null;
                }
            }
            return null;
        }
    }
}
