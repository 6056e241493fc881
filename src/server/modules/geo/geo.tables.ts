import type { ColumnType, Generated } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

export interface GridsTable {
  id: Generated<string>;
  code: string;
  name: string;
  community_org_id: string;
  geometry: ColumnType<unknown, string, string>;
  min_lng: number;
  min_lat: number;
  max_lng: number;
  max_lat: number;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface GridWorkersTable {
  grid_id: string;
  user_id: string;
}

export interface AddressesTable {
  id: Generated<string>;
  parent_id: string | null;
  level: string;
  name: string;
  full_text: string;
  aliases: ColumnType<string[], string[] | undefined, string[]>;
  lng: number;
  lat: number;
  grid_id: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface GeoRevisionTable {
  id: Generated<boolean>;
  revision: number;
}

export interface GeoTables {
  geo_revision: GeoRevisionTable;
  grids: GridsTable;
  grid_workers: GridWorkersTable;
  addresses: AddressesTable;
}
