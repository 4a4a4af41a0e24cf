namespace Bms.Firmware.Boards
{
    /// <summary>
    /// Which MCU pins and buses a board uses for the BMS. The device application reads one of these and opens
    /// the hal adapters from it; nothing else in the firmware knows about pins. Pin numbers are nanoFramework
    /// GPIO numbers: the GPIO number on ESP32, (port × 16 + pin) on STM32 (PA0 = 0, PB0 = 16, ...).
    /// </summary>
    public sealed class BoardProfile
    {
        /// <summary>Human-readable board name (also printed at start-up).</summary>
        public string Name;
        /// <summary>true when the pins below must be routed with nanoFramework.Hardware.Esp32 Configuration.SetPinFunction;
        /// STM32 targets have their I2C/SPI/UART pins fixed by the board's nanoCLR image.</summary>
        public bool NeedsPinRouting;
        /// <summary>I2C controller for BQ76952/BQ769x0 and the FRAM.</summary>
        public int I2cBusId;
        /// <summary>I2C data pin.</summary>
        public int I2cDataPin;
        /// <summary>I2C clock pin.</summary>
        public int I2cClockPin;
        /// <summary>SPI controller for the LTC6820 isoSPI bridge.</summary>
        public int SpiBusId;
        /// <summary>SPI MOSI pin.</summary>
        public int SpiMosiPin;
        /// <summary>SPI MISO pin.</summary>
        public int SpiMisoPin;
        /// <summary>SPI clock pin.</summary>
        public int SpiClockPin;
        /// <summary>Chip select of the LTC6820.</summary>
        public int SpiChipSelectPin;
        /// <summary>AFE ALERT / interrupt input.</summary>
        public int AfeAlertPin;
        /// <summary>Negative main contactor coil driver.</summary>
        public int NegativeContactorPin;
        /// <summary>Positive main contactor coil driver.</summary>
        public int PositiveContactorPin;
        /// <summary>Precharge relay coil driver.</summary>
        public int PrechargeRelayPin;
        /// <summary>Negative contactor auxiliary contact (closed = active).</summary>
        public int NegativeFeedbackPin;
        /// <summary>Positive contactor auxiliary contact (closed = active).</summary>
        public int PositiveFeedbackPin;
        /// <summary>High-voltage interlock loop input.</summary>
        public int InterlockPin;
        /// <summary>WDI pin of the external watchdog supervisor.</summary>
        public int WatchdogPin;
        /// <summary>Serial port for telemetry and the simulation link.</summary>
        public string TelemetryPort;
        /// <summary>UART TX pin (ESP32 routing only).</summary>
        public int TelemetryTxPin;
        /// <summary>UART RX pin (ESP32 routing only).</summary>
        public int TelemetryRxPin;

        /// <summary>ESP32-DevKitC (ESP32-WROOM-32). GPIO34/35 are input-only, which suits the feedback contacts.</summary>
        public static BoardProfile Esp32DevKitC()
        {
            var b = new BoardProfile();
            b.Name = "ESP32-DevKitC";
            b.NeedsPinRouting = true;
            b.I2cBusId = 1; b.I2cDataPin = 21; b.I2cClockPin = 22;
            b.SpiBusId = 1; b.SpiMosiPin = 23; b.SpiMisoPin = 19; b.SpiClockPin = 18; b.SpiChipSelectPin = 5;
            b.AfeAlertPin = 4;
            b.NegativeContactorPin = 25; b.PositiveContactorPin = 26; b.PrechargeRelayPin = 27;
            b.NegativeFeedbackPin = 34; b.PositiveFeedbackPin = 35; b.InterlockPin = 32;
            b.WatchdogPin = 33;
            b.TelemetryPort = "COM2"; b.TelemetryTxPin = 17; b.TelemetryRxPin = 16;
            return b;
        }

        /// <summary>ST NUCLEO-F746ZG (nanoFramework target ST_NUCLEO144_F746ZG): I2C1 on PB8/PB9, SPI1 on
        /// PA5/PA6/PA7, telemetry on USART3 through the ST-LINK virtual COM port (PD8/PD9).</summary>
        public static BoardProfile Stm32NucleoF746ZG()
        {
            var b = new BoardProfile();
            b.Name = "NUCLEO-F746ZG";
            b.NeedsPinRouting = false;
            b.I2cBusId = 1; b.I2cDataPin = Pin('B', 9); b.I2cClockPin = Pin('B', 8);
            b.SpiBusId = 1; b.SpiMosiPin = Pin('A', 7); b.SpiMisoPin = Pin('A', 6); b.SpiClockPin = Pin('A', 5);
            b.SpiChipSelectPin = Pin('D', 14);
            b.AfeAlertPin = Pin('F', 12);
            b.NegativeContactorPin = Pin('E', 9); b.PositiveContactorPin = Pin('E', 11); b.PrechargeRelayPin = Pin('E', 13);
            b.NegativeFeedbackPin = Pin('F', 13); b.PositiveFeedbackPin = Pin('F', 14); b.InterlockPin = Pin('F', 15);
            b.WatchdogPin = Pin('G', 9);
            b.TelemetryPort = "COM3"; b.TelemetryTxPin = Pin('D', 8); b.TelemetryRxPin = Pin('D', 9);
            return b;
        }

        /// <summary>nanoFramework's STM32 GPIO number of port <paramref name="port"/> ('A'..'K'), pin 0..15.</summary>
        public static int Pin(char port, int pin)
        {
            return (port - 'A') * 16 + pin;
        }
    }
}
