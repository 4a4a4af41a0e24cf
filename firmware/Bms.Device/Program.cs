using System;
using System.Device.Gpio;
using System.Threading;
using Bms.Drivers.CellMonitoring;
using Bms.Drivers.Fram;
using Bms.Firmware.Application;
using Bms.Firmware.Boards;
using Bms.Firmware.Chemistry;
using Bms.Firmware.Composition;
using Bms.Hal;
using Bms.Hal.Nano;
#if ESP32
using nanoFramework.Hardware.Esp32;
#endif

namespace Bms.Device
{
    /// <summary>
    /// The device application: opens the board's buses and pins from its <see cref="BoardProfile"/>, builds the
    /// AFE driver, the FRAM and the BMS, and runs <see cref="DeviceRuntime"/> (BMS + telemetry, or simulation
    /// mode when no AFE answers). Thin wiring only: the logic is in the host-tested assemblies.
    /// Board: the ESP32 constant (default) selects the ESP32-DevKitC profile, STM32 the NUCLEO-F746ZG; build with
    /// the MSBuild property BmsBoard=STM32 for the latter (see Bms.Device.nfproj).
    /// </summary>
    public static class Program
    {
        /// <summary>The AFE on this board: <see cref="AfeSetup.Bq76952"/>, <see cref="AfeSetup.Bq769x0"/> or <see cref="AfeSetup.Ltc681xChain"/>.</summary>
        private const int Afe = AfeSetup.Bq76952;
        /// <summary>Series cells of the pack.</summary>
        private const int SeriesCells = 16;
        /// <summary>LTC681x devices in the daisy chain (used with <see cref="AfeSetup.Ltc681xChain"/> only).</summary>
        private const int ChainDevices = 1;
        /// <summary>Rated cell capacity.</summary>
        private const int Capacity_mAh = 3000;
        /// <summary>MB85RC256V: 32 KiB.</summary>
        private const int FramBytes = 32768;
        /// <summary>LTC6820 isoSPI clock.</summary>
        private const int IsoSpiClock_Hz = 1000000;
        private const int BaudRate = 115200;
        private const int LoopPeriod_ms = 5;

        public static void Main()
        {
#if STM32
            BoardProfile board = BoardProfile.Stm32NucleoF746ZG();
#else
            BoardProfile board = BoardProfile.Esp32DevKitC();
#endif
            RoutePins(board);
            var serial = new SerialLogSink(board.TelemetryPort, BaudRate);
            serial.WriteLine("bms: BmsFirmware on " + board.Name);

            DeviceRuntime runtime;
            try
            {
                runtime = Build(board, serial);
                runtime.Start();
            }
            catch (Exception e)
            {
                // Contactor outputs start de-energised and stay so; the external watchdog resets the board.
                serial.WriteLine("bms: start-up failed: " + e.Message);
                while (true)
                {
                    Thread.Sleep(1000);
                }
            }

            while (true)
            {
                runtime.Step();
                Thread.Sleep(LoopPeriod_ms);
            }
        }

        private static DeviceRuntime Build(BoardProfile board, SerialLogSink serial)
        {
            var clock = new NanoClock();
            var gpio = new GpioController();
            // One clock per I2C bus: the FRAM runs at the AFE's speed when they share the bus.
            int i2cClock_kHz = AfeSetup.I2cClock_kHz(Afe);
            II2cDevice afeI2c = AfeSetup.UsesI2c(Afe) ? new NanoI2cDevice(board.I2cBusId, Bms.Drivers.Bq76952.Bq76952.DefaultI2cAddress, i2cClock_kHz) : null;
            ISpiDevice isoSpi = AfeSetup.UsesI2c(Afe) ? null : new NanoSpiDevice(board.SpiBusId, board.SpiChipSelectPin, IsoSpiClock_Hz);
            ICellMonitor monitor = AfeSetup.CreateMonitor(Afe, SeriesCells, ChainDevices, afeI2c, isoSpi, clock, clock);

            var negative = new NanoDigitalOutput(gpio, board.NegativeContactorPin, false);
            var positive = new NanoDigitalOutput(gpio, board.PositiveContactorPin, false);
            var precharge = new NanoDigitalOutput(gpio, board.PrechargeRelayPin, false);

            var hardware = new BmsHardware();
            hardware.Monitor = monitor;
            hardware.Clock = clock;
            hardware.NegativeContactor = negative;
            hardware.PositiveContactor = positive;
            hardware.PrechargeRelay = precharge;
            hardware.NegativeFeedback = new NanoDigitalInput(gpio, board.NegativeFeedbackPin, true);
            hardware.PositiveFeedback = new NanoDigitalInput(gpio, board.PositiveFeedbackPin, true);
            hardware.Watchdog = new GpioWatchdog(gpio, board.WatchdogPin);
            hardware.Storage = new Mb85rcFram(new NanoI2cDevice(board.I2cBusId, Mb85rcFram.DefaultI2cAddress, i2cClock_kHz), FramBytes);
            hardware.Log = serial;
            // No link-voltage input on these board profiles yet: precharge cannot confirm and the contactors stay open.

            BmsConfiguration config = BmsConfiguration.Create(ChemistryProfiles.NmcGraphite, SeriesCells, monitor.TemperatureCount, Capacity_mAh);
            var interlock = new NanoDigitalInput(gpio, board.InterlockPin, true);
            return new DeviceRuntime(config, hardware, interlock, new NanoSerialChannel(serial.Port), serial);
        }

        /// <summary>ESP32: route I2C1, SPI1 and COM2 to the profile's pins (STM32 images have them fixed).</summary>
        private static void RoutePins(BoardProfile board)
        {
#if ESP32
            Configuration.SetPinFunction(board.I2cDataPin, DeviceFunction.I2C1_DATA);
            Configuration.SetPinFunction(board.I2cClockPin, DeviceFunction.I2C1_CLOCK);
            Configuration.SetPinFunction(board.SpiMosiPin, DeviceFunction.SPI1_MOSI);
            Configuration.SetPinFunction(board.SpiMisoPin, DeviceFunction.SPI1_MISO);
            Configuration.SetPinFunction(board.SpiClockPin, DeviceFunction.SPI1_CLOCK);
            Configuration.SetPinFunction(board.TelemetryTxPin, DeviceFunction.COM2_TX);
            Configuration.SetPinFunction(board.TelemetryRxPin, DeviceFunction.COM2_RX);
#endif
        }
    }
}
