using System;
using Bms.Drivers.Bq76952;
using Bms.Drivers.Bq769x0;
using Bms.Drivers.CellMonitoring;
using Bms.Drivers.Ltc681x;
using Bms.Hal;

namespace Bms.Firmware.Application
{
    /// <summary>
    /// Which AFE the device application drives, and how to build its driver from hal devices. Kept out of the
    /// device project so the choice is compiled and tested on the host; Program.cs only opens the buses.
    /// </summary>
    public static class AfeSetup
    {
        /// <summary>TI BQ76952 on I2C (3..16 cells); the default.</summary>
        public const int Bq76952 = 0;
        /// <summary>TI BQ76920/30/40 on I2C (BQ76940: up to 15 cells).</summary>
        public const int Bq769x0 = 1;
        /// <summary>ADI LTC6813-1 daisy chain on isoSPI through an LTC6820 (18 cells per device).</summary>
        public const int Ltc681xChain = 2;

        /// <summary>I2C clock the chip allows: the BQ769x0 family only 100 kHz, the BQ76952 (and the FRAM) 400 kHz.</summary>
        public static int I2cClock_kHz(int afe)
        {
            return afe == Bq769x0 ? 100 : 400;
        }

        /// <summary>true when the AFE sits on the I2C bus (otherwise on SPI).</summary>
        public static bool UsesI2c(int afe)
        {
            return afe == Bq76952 || afe == Bq769x0;
        }

        /// <summary>
        /// Builds the driver for <paramref name="seriesCells"/> cells. <paramref name="i2c"/> is the chip at its
        /// address (I2C AFEs), <paramref name="spi"/> the LTC6820 bridge (chain); the other may be null.
        /// Throws <see cref="ArgumentException"/> for an unknown AFE or an impossible cell count.
        /// </summary>
        public static ICellMonitor CreateMonitor(int afe, int seriesCells, int chainDevices, II2cDevice i2c, ISpiDevice spi, IDelay delay, IMonotonicClock clock)
        {
            if (afe == Bq76952)
            {
                return new Bq76952(i2c, delay, new Bq76952Configuration(seriesCells));
            }
            if (afe == Bq769x0)
            {
                var config = new Bq769x0Configuration();
                config.Variant = seriesCells <= 5 ? Bq769x0Variant.Bq76920 : seriesCells <= 10 ? Bq769x0Variant.Bq76930 : Bq769x0Variant.Bq76940;
                config.CellCount = seriesCells;
                return new Bq769x0(i2c, clock, config);
            }
            if (afe == Ltc681xChain)
            {
                if (chainDevices < 1 || seriesCells % chainDevices != 0)
                {
                    throw new ArgumentException("LTC681x chain: " + seriesCells.ToString() + " cells do not split evenly over " + chainDevices.ToString() + " devices");
                }
                var config = new Ltc681xConfiguration(Ltc681xVariant.Ltc6813, chainDevices);
                config.SetCellsPerDevice(seriesCells / chainDevices);
                // Thermistors every other scan (200 ms): they follow the cells' heat over seconds.
                config.TemperatureScanInterval = 2;
                return new Ltc681x(spi, delay, clock, config);
            }
            throw new ArgumentException("unknown AFE " + afe.ToString());
        }
    }
}
