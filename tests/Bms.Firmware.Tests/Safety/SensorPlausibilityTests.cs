using System.Linq;
using Bms.Firmware.Events;
using Bms.Firmware.Safety;
using Xunit;
using Xunit.Abstractions;

namespace Bms.Firmware.Tests.Safety
{
    /// <summary>Broken thermistors raise SensorFault and never ThermalRunaway.</summary>
    public class SensorPlausibilityTests
    {
        private readonly ITestOutputHelper _output;

        public SensorPlausibilityTests(ITestOutputHelper output)
        {
            _output = output;
        }

        [Fact]
        public void Open_thermistor_is_a_sensor_fault_and_clears_when_the_reading_returns()
        {
            var p = new PackScenario(cells: 4, sensors: 3) { TemperatureNoise_dC = 1 };
            p.RunUntil(30000);
            p.SensorOverride_dC[2] = -550;
            p.RunUntil(40000);

            var fault = Assert.Single(p.Sink.Raised(BmsEventCode.SensorFault));
            Assert.Equal(2, fault.Cell);
            Assert.InRange(fault.Time_ms, 30000, 30000 + 3 * PackScenario.TickMs);
            Assert.Equal(TemperatureSensorFault.Open, p.Guard.GetSensorFault(2));
            Assert.False(p.Guard.IsSensorTrusted(2));
            Assert.Empty(p.Sink.Raised(BmsEventCode.ThermalRunaway));
            _output.WriteLine($"open thermistor at 30000 ms reported at {fault.Time_ms} ms");

            p.SensorOverride_dC[2] = null;
            p.RunUntil(50000);
            Assert.Equal(TemperatureSensorFault.None, p.Guard.GetSensorFault(2));
            var cleared = Assert.Single(p.Sink.Events, e => e.Code == BmsEventCode.SensorFault && !e.Active);
            Assert.InRange(cleared.Time_ms, 40000 + p.Config.SensorFaultClearDelay_ms, 40000 + p.Config.SensorFaultClearDelay_ms + 200);
        }

        [Fact]
        public void Shorted_thermistor_jumping_to_the_high_rail_is_a_sensor_fault_not_b_nor_runaway()
        {
            var p = new PackScenario(cells: 4, sensors: 3);
            p.RunUntil(30000);
            p.SensorOverride_dC[1] = 1500;
            p.RunUntil(90000);

            var fault = Assert.Single(p.Sink.Raised(BmsEventCode.SensorFault));
            Assert.Equal(1, fault.Cell);
            Assert.Equal(TemperatureSensorFault.Shorted, p.Guard.GetSensorFault(1));
            Assert.False(p.Guard.MaxTemperatureReached);
            Assert.Empty(p.Sink.Raised(BmsEventCode.ThermalRunaway));
            Assert.Empty(p.Sink.Raised(BmsEventCode.ThermalRunawayPrecursor));
        }

        [Fact]
        public void Shorted_thermistor_at_start_up_is_a_sensor_fault()
        {
            var p = new PackScenario(cells: 4, sensors: 2);
            p.SensorOverride_dC[0] = 1300;
            p.RunUntil(10000);
            Assert.Equal(TemperatureSensorFault.Shorted, p.Guard.GetSensorFault(0));
            Assert.False(p.Guard.RunawayConfirmed);
        }

        [Fact]
        public void Frozen_reading_while_neighbours_heat_is_a_sensor_fault()
        {
            var p = new PackScenario(cells: 4, sensors: 3) { TemperatureNoise_dC = 1 };
            p.SensorOverride_dC[2] = 250;
            p.RunUntil(120000, before: t =>
            {
                p.Temperature_C[0] = 25 + 0.05 * t / 1000.0;
                p.Temperature_C[1] = 25 + 0.05 * t / 1000.0;
            });
            var fault = Assert.Single(p.Sink.Raised(BmsEventCode.SensorFault));
            Assert.Equal(2, fault.Cell);
            Assert.Equal(TemperatureSensorFault.Frozen, p.Guard.GetSensorFault(2));
            Assert.InRange(fault.Time_ms, p.Config.FrozenTime_ms, p.Config.FrozenTime_ms + 1000);
            Assert.Empty(p.Sink.Raised(BmsEventCode.ThermalRunaway));
            _output.WriteLine($"frozen since 0 ms reported at {fault.Time_ms} ms");
        }

        [Fact]
        public void Steady_readings_everywhere_are_not_frozen()
        {
            var p = new PackScenario(cells: 4, sensors: 3); // no noise, nothing moves
            p.RunUntil(10 * 60 * 1000);
            Assert.Empty(p.Sink.Events);
        }

        [Fact]
        public void Impossible_step_without_voltage_effect_is_a_sensor_fault()
        {
            var p = new PackScenario(cells: 4, sensors: 3);
            p.RunUntil(30000);
            p.SensorOverride_dC[0] = 250 + 300; // +30 °C in 100 ms
            p.RunUntil(60000);
            var fault = Assert.Single(p.Sink.Raised(BmsEventCode.SensorFault));
            Assert.Equal(0, fault.Cell);
            Assert.Equal(TemperatureSensorFault.ImpossibleStep, p.Guard.GetSensorFault(0));
            Assert.False(p.Guard.RunawayConfirmed);
        }

        [Fact]
        public void Same_step_with_a_collapsing_cell_is_believed()
        {
            var p = new PackScenario(cells: 4, sensors: 3);
            p.RunUntil(30000);
            p.CellVoltage_mV[1] = 3700 * 0.85; // 15 % below its reference in the same tick
            p.Temperature_C[0] = 55;
            p.RunUntil(60000);
            Assert.Empty(p.Sink.Raised(BmsEventCode.SensorFault));
            Assert.True(p.Guard.IsSensorTrusted(0));
            // One step makes a steep fitted rate for about one window only: not 3 s of dT/dt.
            Assert.False(p.Guard.RunawayConfirmed);
        }

        [Fact]
        public void Step_during_a_heavy_load_step_is_still_a_sensor_fault()
        {
            // Every cell sags 15 % at once (IR drop of a load step): that is the pack, not one cell in trouble.
            var p = new PackScenario(cells: 4, sensors: 3);
            p.RunUntil(30000);
            for (int i = 0; i < 4; i++) { p.CellVoltage_mV[i] = 3700 * 0.85; }
            p.Current_mA = -15000;
            p.SensorOverride_dC[0] = 550;
            p.RunUntil(60000);
            Assert.Equal(TemperatureSensorFault.ImpossibleStep, p.Guard.GetSensorFault(0));
        }

        [Fact]
        public void Single_sample_glitch_is_ignored_without_an_event()
        {
            var p = new PackScenario(cells: 4, sensors: 3);
            p.RunUntil(30000);
            p.SensorOverride_dC[1] = 900;
            p.Tick();
            p.SensorOverride_dC[1] = null;
            p.RunUntil(60000);
            Assert.Empty(p.Sink.Events);
        }

        [Fact]
        public void Unreadable_channel_is_a_sensor_fault_after_the_set_delay()
        {
            var p = new PackScenario(cells: 4, sensors: 3);
            p.RunUntil(30000);
            p.SensorInvalid[1] = true;
            p.RunUntil(35000);
            var fault = Assert.Single(p.Sink.Raised(BmsEventCode.SensorFault));
            Assert.Equal(TemperatureSensorFault.Unreadable, p.Guard.GetSensorFault(1));
            Assert.Equal(30000 + p.Config.UnreadableDelay_ms, fault.Time_ms);
        }
    }
}
