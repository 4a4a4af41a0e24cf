using System;

namespace Bms.Drivers.Ltc681x
{
    /// <summary>
    /// What the <see cref="Ltc681x"/> driver needs to know about one isoSPI daisy chain. Device 0 is the one
    /// wired to the LTC6820 and monitors the bottom of the stack; cells are numbered upward from its C1.
    /// Set everything before constructing the driver; the driver copies the values it needs.
    /// </summary>
    public sealed class Ltc681xConfiguration
    {
        /// <summary>A chain of <paramref name="deviceCount"/> devices, each using every cell input of the variant.</summary>
        public Ltc681xConfiguration(Ltc681xVariant variant, int deviceCount)
        {
            if (deviceCount < 1 || deviceCount > MaxDevices)
            {
                throw new ArgumentException("deviceCount must be 1..32");
            }
            Variant = variant;
            DeviceCount = deviceCount;
            CellsPerDevice = new int[deviceCount];
            int inputs = Ltc681xVariantInfo.CellInputs(variant);
            for (int i = 0; i < deviceCount; i++)
            {
                CellsPerDevice[i] = inputs;
            }
            UnderVoltageThreshold_mV = 2500;
            OverVoltageThreshold_mV = 4250;
            DischargeTimeoutCode = 2;
            MaxRetries = 2;
            TemperatureScanInterval = 1;
            ThermistorNominal_ohm = 10000;
            ThermistorBeta_K = 3435;
            ThermistorPullUp_ohm = 10000;
        }

        /// <summary>Longest chain the driver accepts (buffers are sized from it at construction).</summary>
        public const int MaxDevices = 32;

        /// <summary>Chip variant (all devices of one chain are the same variant).</summary>
        public Ltc681xVariant Variant { get; private set; }

        /// <summary>Devices in the chain.</summary>
        public int DeviceCount { get; private set; }

        /// <summary>
        /// Cells used per device (index = device). A device using n cells has them on C1..Cn; its unused inputs
        /// Cn+1.. are tied to Cn on the board, read 0 V and are ignored.
        /// </summary>
        public int[] CellsPerDevice { get; private set; }

        /// <summary>Which GPIOs carry a thermistor divider, bit 0 = GPIO1; the same on every device.</summary>
        public int ThermistorGpioMask { get; set; }

        /// <summary>
        /// NTC resistance at 25 °C. Each thermistor GPIO sits in a divider fed from VREF2 (3 V): VREF2 →
        /// <see cref="ThermistorPullUp_ohm"/> → GPIO → NTC → V−.
        /// </summary>
        public int ThermistorNominal_ohm { get; set; }

        /// <summary>NTC Beta constant (default 3435 K, e.g. Semitec 103AT-2 / Murata NCP18XH103).</summary>
        public int ThermistorBeta_K { get; set; }

        /// <summary>Divider resistor between VREF2 and the GPIO.</summary>
        public int ThermistorPullUp_ohm { get; set; }

        /// <summary>Chip under-voltage flag threshold written to VUV.</summary>
        public int UnderVoltageThreshold_mV { get; set; }

        /// <summary>Chip over-voltage flag threshold written to VOV.</summary>
        public int OverVoltageThreshold_mV { get; set; }

        /// <summary>
        /// DCTO code of the discharge timer (0 = off, 1 = 30 s, 2 = 1 min, ... 15 = 120 min). With it the chip
        /// stops balancing by itself if the firmware stops refreshing <see cref="Ltc681x.SetBalancing"/>.
        /// </summary>
        public int DischargeTimeoutCode { get; set; }

        /// <summary>Repetitions of a failed transfer before its data is declared unreadable.</summary>
        public int MaxRetries { get; set; }

        /// <summary>
        /// Scans per thermistor conversion (1..10, default 1 = every scan). Thermistors follow the cells' heat over
        /// seconds, so converting them every n-th scan loses nothing and saves the aux reads and the NTC look-ups
        /// in between. The scans in between repeat the last conversion's temperatures, marked
        /// <see cref="CellMonitoring.CellMonitorReadings.TemperaturesHeld"/>, only for devices that answered that
        /// scan's cell reads and at most n − 1 scans old; a channel that could not be read stays invalid until
        /// the next conversion reads it.
        /// </summary>
        public int TemperatureScanInterval { get; set; }

        /// <summary>Sets every device to <paramref name="cells"/> used cells.</summary>
        public void SetCellsPerDevice(int cells)
        {
            for (int i = 0; i < CellsPerDevice.Length; i++)
            {
                CellsPerDevice[i] = cells;
            }
        }
    }
}
