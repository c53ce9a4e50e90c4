// The datasets a person can add to /data: a fixed list in code. Each file is a pinned npm
// package's, served by jsDelivr's npm mirror (DATASETS_BASE_URL), so its bytes never change;
// sizes, row counts and column types were computed from the package tarballs themselves
// (test/runtime/datasets.test.ts checks the CSVs against copies in test/fixtures/datasets/).
// seaborn-data, the usual home of these classics, is not on npm: the Palmer penguins come from
// Observable's sample datasets instead.
import { createHash } from "node:crypto";

export const COLUMN_TYPES = ["string", "integer", "number", "date", "boolean"] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];
export const DATASET_FORMATS = ["csv", "parquet"] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export interface Dataset {
  /** URL-safe and unique: the download route's path segment. */
  id: string;
  title: string;
  description: string;
  format: DatasetFormat;
  /** The name it is saved under in /data. */
  file_name: string;
  /** Exact: a download is refused as soon as the source sends more, or ends with less. */
  size_bytes: number;
  /** Data rows, the header excluded. */
  rows: number;
  columns: { name: string; type: ColumnType }[];
  license: string;
  /** The page that describes the data (its publisher's). */
  source: string;
  /** Where the file is, relative to DATASETS_BASE_URL; never sent to the client. */
  path: string;
}

const VEGA = "vega-datasets@3.2.1/data/";
const OBSERVABLE = "@observablehq/sample-datasets@1.0.1/";

const columns = (spec: string) =>
  spec.split(",").map((pair) => {
    const at = pair.lastIndexOf(":");
    return { name: pair.slice(0, at), type: pair.slice(at + 1) as ColumnType };
  });

export const DATASETS: readonly Dataset[] = [
  {
    id: "penguins",
    title: "Palmer penguins",
    description:
      "Bill (culmen), flipper and body-mass measurements of 344 Adélie, Chinstrap and Gentoo penguins on three Antarctic islands, 2007–2009",
    format: "csv",
    file_name: "penguins.csv",
    size_bytes: 13_506,
    rows: 344,
    columns: columns(
      "species:string,island:string,culmen_length_mm:number,culmen_depth_mm:number,flipper_length_mm:integer,body_mass_g:integer,sex:string",
    ),
    license: "CC0-1.0",
    source: "https://allisonhorst.github.io/palmerpenguins/",
    path: `${OBSERVABLE}penguins.csv`,
  },
  {
    id: "seattle-weather",
    title: "Seattle weather",
    description:
      "Daily precipitation, temperature range, wind and a weather category in Seattle, 2012–2015 (NOAA)",
    format: "csv",
    file_name: "seattle-weather.csv",
    size_bytes: 48_219,
    rows: 1_461,
    columns: columns(
      "date:date,precipitation:number,temp_max:number,temp_min:number,wind:number,weather:string",
    ),
    license: "U.S. Government work (public domain)",
    source: "https://www.ncdc.noaa.gov/cdo-web/datatools/records",
    path: `${VEGA}seattle-weather.csv`,
  },
  {
    id: "gapminder-health-income",
    title: "Gapminder health and income",
    description: "Income per person, life expectancy, population and world region of 187 countries",
    format: "csv",
    file_name: "gapminder-health-income.csv",
    size_bytes: 8_605,
    rows: 187,
    columns: columns(
      "country:string,income:integer,health:number,population:integer,region:string",
    ),
    license: "CC-BY-4.0",
    source: "https://www.gapminder.org/data/",
    path: `${VEGA}gapminder-health-income.csv`,
  },
  {
    id: "co2-concentration",
    title: "CO₂ at Mauna Loa",
    description:
      "Monthly atmospheric CO₂ concentration (ppm), raw and seasonally adjusted, Mauna Loa Observatory, 1958–2020",
    format: "csv",
    file_name: "co2-concentration.csv",
    size_bytes: 18_547,
    rows: 741,
    columns: columns("Date:date,CO2:number,adjusted CO2:number"),
    license: "CC-BY-4.0",
    source: "https://scrippsco2.ucsd.edu/data/atmospheric_co2/primary_mlo_co2_record",
    path: `${VEGA}co2-concentration.csv`,
  },
  {
    id: "disasters",
    title: "Deaths from natural disasters",
    description:
      "Yearly deaths by kind of natural disaster (earthquake, flood, drought…), 1900–2017 (EM-DAT via Our World in Data)",
    format: "csv",
    file_name: "disasters.csv",
    size_bytes: 18_840,
    rows: 803,
    columns: columns("Entity:string,Year:integer,Deaths:integer"),
    license: "CC-BY-4.0 (Our World in Data); EM-DAT terms of use",
    source: "https://ourworldindata.org/natural-catastrophes",
    path: `${VEGA}disasters.csv`,
  },
  {
    id: "flights-3m",
    title: "US flight delays (3 million flights)",
    description:
      "Departure time, delay in minutes, distance and airports of 3 million US domestic flights, January–June 2001 (Parquet, zstd)",
    format: "parquet",
    file_name: "flights-3m.parquet",
    size_bytes: 13_493_022,
    rows: 3_000_000,
    columns: columns("date:date,delay:integer,distance:integer,origin:string,destination:string"),
    license: "U.S. DOT regulatory data; licence terms not stated",
    source: "https://www.transtats.bts.gov/",
    path: `${VEGA}flights-3m.parquet`,
  },
];

/** A short hash of every field of every entry: any change to the catalog changes it. */
export function catalogVersion(entries: readonly Dataset[]): string {
  return createHash("sha256").update(JSON.stringify(entries)).digest("hex").slice(0, 12);
}

export const CATALOG_VERSION = catalogVersion(DATASETS);

const byId = new Map(DATASETS.map((d) => [d.id, d]));

/** The entry with exactly this id; anything else (a path, a URL, `..`) is none. */
export function findDataset(id: string): Dataset | undefined {
  return byId.get(id);
}

/** What the client sees of an entry: everything but where it comes from. */
export function publicDataset({ path: _path, ...entry }: Dataset) {
  return entry;
}
